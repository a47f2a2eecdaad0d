"""Build of the native scanning core (issue 15); everything else is in pyproject.toml.

The extension is required when building the package (``make`` installs gcc and the
Python headers first); a checkout run from source without it falls back to the Python
reference with one log line (``fingerprints.native``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "fingerprints._native",
            ["fingerprints/_native.c", "fingerprints/_digest.c", "fingerprints/_tie.c",
             "fingerprints/_tie_score.c",
             "fingerprints/_layer.c", "fingerprints/_prose.c", "fingerprints/_rows.c",
             "fingerprints/_postings.c", "fingerprints/_refs.c",
             "fingerprints/_snippet.c",
             "fingerprints/_canon.c", "fingerprints/_canon_names.c",
             "fingerprints/_canon_address.c", "fingerprints/_columns.c",
             "fingerprints/_text_columns.c",
             "fingerprints/_memo.c", "fingerprints/_hits.c", "fingerprints/_regions.c",
             "fingerprints/_pair.c", "fingerprints/_objects.c",
             "fingerprints/_common.c", "fingerprints/_answers.c",
             "fingerprints/_summary.c", "fingerprints/_guards.c",
             "fingerprints/_memory.c"],
            depends=[
                "fingerprints/_answers.h",
                "fingerprints/_ascii.h",
                "fingerprints/_blake2b.h",
                "fingerprints/_keymap.h",
                "fingerprints/_blake2b_x4.h",
                "fingerprints/_canon_chars.h",
                "fingerprints/_common.h",
                "fingerprints/_cut.h",
                "fingerprints/_dashes.h",
                "fingerprints/_dictpeek.h",
                "fingerprints/_fill.h",
                "fingerprints/_hint.h",
                "fingerprints/_native_address_cells.h",
                "fingerprints/_native_cells.h",
                "fingerprints/_native_kind_cells.h",
                "fingerprints/_native_lines.h",
                "fingerprints/_native_phone_runs.h",
                "fingerprints/_pair.h",
                "fingerprints/_ptrset.h",
                "fingerprints/_slots.h",
                "fingerprints/_tie.h",
                "fingerprints/_tie_values.h",
            ],
            extra_compile_args=["-std=c99", "-Wall", "-Wno-unused-parameter"],
        )
    ]
)
