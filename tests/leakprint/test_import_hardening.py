"""Import hardening (issue 19 points 12, 13, 15, 18): pseudonymous id columns, ids
with line breaks, mixed encodings, the source recorded by name and SHA-256, private
set files, `fingerprint verify`, and no raw value in the import's temporary files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from fingerprints import fpset
from fingerprints.importer import ImportFailed, import_file
from fingerprints.keyed import FingerprintKey
from tests.leakprint.helpers import (
    HEADER,
    MAP,
    PLANTED,
    all_file_bytes,
    assert_no_planted,
    customer_rows,
    run,
)

KEY = FingerprintKey(bytes(range(1, 33)))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text(
        ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def do_import(src: Path, out: Path, id_column: str, mapping: dict[str, str]) -> None:
    import_file(src, dataset="t", key=KEY, out_dir=out, id_column=id_column, mapping=mapping,
                workers=1)


def contact_ids(kind: str, n: int) -> list[str]:
    if kind == "email":
        return [f"member{i}@example.jp" for i in range(n)]
    if kind == "phone":
        return [f"090-{1000 + i:04d}-{2000 + i:04d}" for i in range(n)]
    if kind == "phone_e164":
        return [f"+81 80 {1000 + i:04d} {3000 + i:04d}" for i in range(n)]
    if kind == "customer":
        return [f"C{i:08d}" for i in range(n)]
    if kind == "contract":
        return [f"{1000234567 + i}" for i in range(n)]
    if kind == "dashed":
        return [f"KY-2024-{i:06d}" for i in range(n)]
    if kind == "some_emails":  # a few odd rows do not make the column contact data
        return [f"m{i}@example.jp" if i % 10 == 0 else f"C{i:08d}" for i in range(n)]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("ids", "refused", "what"),
    [
        ("email", True, "e-mail addresses"),
        ("phone", True, "phone numbers"),
        ("phone_e164", True, "phone numbers"),
        ("customer", False, ""),
        ("contract", False, ""),
        ("dashed", False, ""),
        ("some_emails", False, ""),
    ],
)
def test_id_columns_of_contact_values_are_refused(
    tmp_path: Path, ids: str, refused: bool, what: str
) -> None:
    values = contact_ids(ids, 60)
    rows = [[ref, "山田 太郎", f"user{i}@example.ne.jp"] for i, ref in enumerate(values)]
    src = write_csv(tmp_path / "c.csv", ["会員ID", "氏名", "メール"], rows)
    mapping = {"氏名": "name", "メール": "email"}
    if not refused:
        do_import(src, tmp_path / "set", "会員ID", mapping)
        return
    with pytest.raises(ImportFailed) as err:
        do_import(src, tmp_path / "set", "会員ID", mapping)
    message = str(err.value)
    assert what in message and "pseudonymous" in message and "\n" not in message
    assert "of the first 60 ids" in message
    for value in values[:5]:
        assert value not in message
    assert not (tmp_path / "set").exists()


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_an_id_column_mapped_to_a_contact_kind_is_refused(tmp_path: Path, kind: str) -> None:
    rows = [[f"C{i:08d}", "山田 太郎"] for i in range(5)]
    src = write_csv(tmp_path / "c.csv", ["顧客ID", "氏名"], rows)
    with pytest.raises(ImportFailed, match=f"'顧客ID' is mapped to {kind}"):
        do_import(src, tmp_path / "set", "顧客ID", {"顧客ID": kind, "氏名": "name"})


def test_an_id_column_whose_header_says_email_is_refused(tmp_path: Path) -> None:
    rows = [[f"C{i:08d}", "山田 太郎", f"u{i}@example.jp"] for i in range(5)]
    src = write_csv(tmp_path / "c.csv", ["id", "氏名", "メールアドレス"], rows)
    with pytest.raises(ImportFailed, match="'メールアドレス' is mapped to email"):
        import_file(src, dataset="t", key=KEY, out_dir=tmp_path / "s",
                    id_column="メールアドレス", workers=1)


def test_a_quoted_id_with_a_line_break_is_a_bad_row(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text(
        "顧客ID,氏名,電話番号\n"
        "C0000001,山田 太郎,090-1234-5678\n"
        '"C00\n00002",鈴木 一郎,090-2345-6789\n'
        "C0000003,佐藤 花子,090-3456-7890\n",
        encoding="utf-8",
    )
    report = import_file(src, dataset="t", key=KEY, out_dir=tmp_path / "s", id_column="顧客ID",
                         mapping={"氏名": "name", "電話番号": "phone"}, max_bad_share=0.5,
                         workers=1)
    assert report.imported == 2
    assert [str(p) for p in report.problems] == ["row 4, column '顧客ID': record id spans lines"]


def test_a_file_of_mixed_encodings_gets_a_clear_message(tmp_path: Path) -> None:
    src = tmp_path / "mixed.csv"
    with src.open("wb") as fh:
        fh.write("顧客ID,氏名,電話番号\n".encode())
        for i in range(40):
            enc = "utf-8" if i % 2 else "cp932"
            fh.write(f"C{i:07d},山田 太郎,090-1234-{i:04d}\n".encode(enc))
    with pytest.raises(ImportFailed) as err:
        import_file(src, dataset="t", key=KEY, out_dir=tmp_path / "s", id_column="顧客ID",
                    mapping={"氏名": "name", "電話番号": "phone"}, workers=1)
    message = str(err.value)
    assert "more than one encoding (cp932 and utf-8)" in message and "--encoding" in message
    assert "auto" not in message and "\n" not in message
    # Read as one encoding on request: the other lines are bad rows, by number.
    report = import_file(src, dataset="t", key=KEY, out_dir=tmp_path / "s", id_column="顧客ID",
                         mapping={"氏名": "name", "電話番号": "phone"}, encoding="utf-8",
                         max_bad_share=0.6, workers=1)
    assert report.imported == 20 and report.bad_rows == 20


@pytest.mark.slow  # 3,000 rows by worker processes
def test_import_within_a_tiny_budget_by_workers_leaves_no_value_and_verifies(
    home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = home / "incoming" / "customers-2026.csv"
    src.parent.mkdir()
    write_csv(src, HEADER, PLANTED + customer_rows(3000))
    env = {"LEAKPRINT_DATABASE_URL": db_url}

    # What the build holds on disk before it finishes: sorted runs, refs, per-record
    # fields, all in a private temporary directory beside the set.
    temp_files: dict[str, bytes] = {}
    finish = fpset.FingerprintSetBuilder.finish

    def spy(self: fpset.FingerprintSetBuilder) -> object:
        assert self._tmp is not None
        assert stat.S_IMODE(self._tmp.stat().st_mode) == 0o700
        for p in self._tmp.iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
            temp_files[p.name] = p.read_bytes()
        return finish(self)

    monkeypatch.setattr(fpset.FingerprintSetBuilder, "finish", spy)
    old = os.umask(0o022)
    try:
        result = run(home, "fingerprint", "import", str(src), "--dataset", "d1", "--id-column",
                     "顧客ID", *MAP, "--memory", "1k", "--workers", "2", env=env)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert "3003 records fingerprinted" in result.output
    assert sum(name.startswith("run-") for name in temp_files) >= 5
    for name, blob in temp_files.items():
        assert_no_planted(blob, f"temporary file {name}")

    set_dir = home / "fingerprint-sets" / "d1"
    assert stat.S_IMODE(set_dir.stat().st_mode) == 0o700
    for p in set_dir.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name

    listed = run(home, "fingerprint", "list", "--json", env=env)
    source = json.loads(listed.output)[0]["source"]
    assert source == {
        "name": "customers-2026.csv",
        "sha256": hashlib.sha256(src.read_bytes()).hexdigest(),
    }
    assert "incoming" not in listed.output  # the file's directory is not stored

    ok = run(home, "fingerprint", "verify", "d1", env=env)
    assert ok.exit_code == 0, ok.output
    assert "d1: intact (" in ok.output
    ok_json = run(home, "fingerprint", "verify", "d1", "--json", env=env)
    assert json.loads(ok_json.output)["ok"] is True

    src.unlink()
    for path, blob in all_file_bytes(home).items():
        assert_no_planted(blob, str(path))
    if db_url.startswith("postgresql"):
        from tests.leakprint.helpers import assert_pg_clean

        assert_pg_clean(db_url)

    # A flipped byte: `verify` exits 1 with one line naming the file, and so does a scan
    # opening the set (through the cheap check on open).
    data = bytearray((set_dir / "index_rows.npy").read_bytes())
    data[-3] ^= 0x10
    (set_dir / "index_rows.npy").write_bytes(bytes(data))
    bad = run(home, "fingerprint", "verify", "d1", env=env)
    assert bad.exit_code == 1
    lines = [line for line in bad.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "index_rows.npy is damaged" in lines[0]
    bad_json = run(home, "fingerprint", "verify", "d1", "--json", env=env)
    assert bad_json.exit_code == 1
    assert '"ok": false' in bad_json.output
    missing = run(home, "fingerprint", "verify", "nope", env=env)
    assert missing.exit_code == 2 and "no dataset named 'nope'" in missing.output


@pytest.mark.parametrize("workers", [1, 2])
def test_duplicate_ids_within_and_across_chunks_are_bad_rows(tmp_path: Path, workers: int) -> None:
    rows = customer_rows(400)
    rows[10][0] = rows[9][0]  # same chunk
    rows[390][0] = rows[3][0]  # a later chunk (the tiny budget makes chunks of 146 rows)
    rows[200][3] = "0120-000-000"  # a bad phone: the row does not claim its id ...
    rows[201][0] = rows[200][0]  # ... so this row with the same id is kept
    src = write_csv(tmp_path / "c.csv", HEADER, rows)
    mapping = dict(m.split("=") for m in MAP[1::2])
    report = import_file(src, dataset="t", key=KEY, out_dir=tmp_path / "s", id_column="顧客ID",
                         mapping=mapping, memory=1, workers=workers)
    assert [str(p) for p in report.problems] == [
        "row 12, column '顧客ID': duplicate record id",
        "row 202, column '電話番号': not a valid phone",
        "row 392, column '顧客ID': duplicate record id",
    ]
    assert report.imported == 397 and report.runs >= 2
    manifest = report.manifest
    assert manifest is not None and manifest.record_count == 397
    assert manifest.kinds["phone"].count == 397 and manifest.kinds["name_folded"].count == 397
