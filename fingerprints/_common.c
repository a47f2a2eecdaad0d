/* Common: the answer for a value too common to expand (issue 12): matchers.probe.Common
 * in C.
 *
 * At a million records a hit-dense chunk gets tens of thousands of these from the
 * index. The Python class (a tuple subclass, its three attributes in an instance
 * dict, ``__bool__`` a Python method) cost ~4,300 instructions to make, a Python call
 * for every truth test (``compress`` over a chunk's answers, ``column_hits``) and three
 * dict lookups wherever it was read: 3-4 % of a scan. This type is the same thing:
 * an empty tuple (no records: iterating it yields nothing, it equals and hashes as
 * ``()``) that is true, with ``kind``, ``records`` and ``key`` read-only.
 *
 * Like Pair (_pair.c), the fields live past the tuple's items: a Common always has
 * none, and the type's basic size adds the room for three references. They are
 * released by the type's own dealloc and visited by its own traverse; a Common of a
 * str, an int and an int (every one the index makes) is untracked by the collector
 * when made, as CPython does for a tuple of atoms.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "_common.h"

#define FIELD(op, i) (((PyTupleObject *)(op))->ob_item[i])
#define FIELD_OFFSET(i) ((Py_ssize_t)(offsetof(PyTupleObject, ob_item) + (i) * sizeof(PyObject *)))

PyObject *common_new(PyObject *kind, PyObject *records, PyObject *key) {
    PyObject *op = CommonType.tp_alloc(&CommonType, 0);
    if (op == NULL) return NULL;
    FIELD(op, 0) = Py_NewRef(kind);
    FIELD(op, 1) = Py_NewRef(records);
    FIELD(op, 2) = Py_NewRef(key);
    if (PyUnicode_CheckExact(kind) && PyLong_CheckExact(records) && PyLong_CheckExact(key))
        PyObject_GC_UnTrack(op);
    return op;
}

PyObject *common_kind(PyObject *op) { return FIELD(op, 0); }
PyObject *common_records(PyObject *op) { return FIELD(op, 1); }
PyObject *common_key(PyObject *op) { return FIELD(op, 2); }

static PyObject *common_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *names[] = {"kind", "records", "key", NULL};
    PyObject *kind, *records, *key;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:Common", names, &kind, &records, &key))
        return NULL;
    return common_new(kind, records, key);
}

static int common_traverse(PyObject *op, visitproc visit, void *arg) {
    for (int i = 0; i < 3; i++) Py_VISIT(FIELD(op, i));
    return 0;
}

static int common_clear(PyObject *op) {
    for (int i = 0; i < 3; i++) Py_CLEAR(FIELD(op, i));
    return 0;
}

static void common_dealloc(PyObject *op) {
    PyObject_GC_UnTrack(op);
    common_clear(op);
    Py_TYPE(op)->tp_free(op);
}

static int common_bool(PyObject *op) { return 1; }

static PyObject *common_repr(PyObject *op) {
    return PyUnicode_FromFormat("Common(%R, %R)", FIELD(op, 0), FIELD(op, 1));
}

static PyObject *common_reduce(PyObject *op, PyObject *unused) {
    return Py_BuildValue("(O(OOO))", (PyObject *)&CommonType, FIELD(op, 0), FIELD(op, 1),
                         FIELD(op, 2));
}

static PyMethodDef common_methods[] = {
    {"__reduce__", common_reduce, METH_NOARGS, "Pickles as Common(kind, records, key)."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef common_members[] = {
    {"kind", T_OBJECT_EX, FIELD_OFFSET(0), READONLY, "the value's kind"},
    {"records", T_OBJECT_EX, FIELD_OFFSET(1), READONLY, "how many records hold the value"},
    {"key", T_OBJECT_EX, FIELD_OFFSET(2), READONLY,
     "what Prober.record_keys holds for the value"},
    {NULL, 0, 0, 0, NULL}};

static PyNumberMethods common_number = {.nb_bool = common_bool};

PyTypeObject CommonType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fingerprints._native.Common",
    /* the tuple's struct counts one item: two more make the three fields */
    .tp_basicsize = sizeof(PyTupleObject) + 2 * sizeof(PyObject *),
    .tp_itemsize = sizeof(PyObject *),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_TUPLE_SUBCLASS | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Common(kind, records, key): the answer for a value held by more records "
              "than the postings cap; an empty tuple that is true (matchers.probe.Common).",
    .tp_dealloc = common_dealloc,
    .tp_traverse = common_traverse,
    .tp_clear = common_clear,
    .tp_repr = common_repr,
    .tp_as_number = &common_number,
    .tp_methods = common_methods,
    .tp_members = common_members,
    .tp_new = common_tp_new,
};

int common_register(PyObject *module) {
    CommonType.tp_base = &PyTuple_Type;
    return PyModule_AddType(module, &CommonType);
}
