/* Instances of a slots class made from columns (issue 15).
 *
 *   slots_objects(cls, names, columns) -> [cls instance per row]
 *
 * ``names`` are the class's slot attributes (a tuple of str) and ``columns`` one
 * sequence per name, all of one length: instance i has ``names[k]`` set to
 * ``columns[k][i]``. Each name must be a slot of ``cls`` itself (a member descriptor
 * of an object field): the value is stored at the slot's offset, as the dataclass's
 * ``__init__`` stores it, without calling it. A hit-dense chunk makes a
 * RecordEvidence and a RecordHit for each of a hundred thousand records: a Python
 * ``__init__`` call each was most of that work. The caller (matchers.shapes
 * ``slots_objects``) keeps the plain construction as the reference; it only uses this
 * for classes whose ``__init__`` does nothing but store its arguments.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "_slots.h"

PyObject *native_slots_objects(PyObject *self, PyObject *args) {
    PyTypeObject *cls;
    PyObject *names, *columns;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyType_Type, &cls, &PyTuple_Type, &names,
                          &PyTuple_Type, &columns))
        return NULL;
    Py_ssize_t nf = PyTuple_GET_SIZE(names);
    if (PyTuple_GET_SIZE(columns) != nf || nf == 0) {
        PyErr_SetString(PyExc_ValueError, "slots_objects: one column per name");
        return NULL;
    }
    if (cls->tp_itemsize != 0 || cls->tp_dictoffset != 0 || cls->tp_alloc == NULL) {
        PyErr_SetString(PyExc_TypeError, "slots_objects: a class with slots only");
        return NULL;
    }
    Py_ssize_t *offsets = PyMem_Calloc((size_t)nf, sizeof(Py_ssize_t));
    PyObject **cols = PyMem_Calloc((size_t)nf, sizeof(PyObject *));
    PyObject *out = NULL;
    Py_ssize_t n = -1;
    if (offsets == NULL || cols == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < nf; k++) {
        PyObject *name = PyTuple_GET_ITEM(names, k);
        if ((offsets[k] = own_slot_offset(cls, name, 1, "slots_objects")) < 0) goto done;
        cols[k] = PySequence_Fast(PyTuple_GET_ITEM(columns, k), "a column is a sequence");
        if (cols[k] == NULL) goto done;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(cols[k]);
        if (n >= 0 && len != n) {
            PyErr_SetString(PyExc_ValueError, "slots_objects: the columns differ in length");
            goto done;
        }
        n = len;
    }
    if ((out = PyList_New(n)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *obj = cls->tp_alloc(cls, 0);
        if (obj == NULL) goto fail;
        for (Py_ssize_t k = 0; k < nf; k++) {
            PyObject **slot = (PyObject **)((char *)obj + offsets[k]);
            Py_XSETREF(*slot, Py_NewRef(PySequence_Fast_GET_ITEM(cols[k], i)));
        }
        PyList_SET_ITEM(out, i, obj);
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    if (cols != NULL)
        for (Py_ssize_t k = 0; k < nf; k++) Py_XDECREF(cols[k]);
    PyMem_Free(cols);
    PyMem_Free(offsets);
    return out;
}
