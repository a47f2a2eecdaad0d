/* A slots class's object field by name: where slots_objects (_objects.c) writes and
 * sorted_counts (_summary.c) reads an instance's attribute without a lookup. */
#ifndef LEAKPRINT_SLOTS_H
#define LEAKPRINT_SLOTS_H

#include <Python.h>
#include <structmember.h>

/* The offset of slot ``name`` of ``cls`` itself (its member descriptor in the class's
 * own dict, an object field inside the instance), or -1 with TypeError naming ``who``.
 * ``writable``: a read-only slot is refused too. */
static Py_ssize_t own_slot_offset(PyTypeObject *cls, PyObject *name, int writable,
                                  const char *who) {
    PyObject *d = PyUnicode_Check(name) ? PyDict_GetItemWithError(cls->tp_dict, name) : NULL;
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s: a name that is no slot", who);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX || (writable && (m->flags & READONLY)) ||
        m->offset < (Py_ssize_t)sizeof(PyObject) ||
        m->offset + (Py_ssize_t)sizeof(PyObject *) > cls->tp_basicsize) {
        PyErr_Format(PyExc_TypeError, "%s: a slot that is no object field", who);
        return -1;
    }
    return m->offset;
}

#endif
