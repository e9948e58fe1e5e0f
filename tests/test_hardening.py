"""Faults and hostile input beyond bad workbooks (issue 13): each gets a clear answer, and
nothing is left partial or lost. Real processes, real signals, a real full disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR, default_framework_path
from esps_cli.domain.units import Unit
from esps_cli.register import Register
from esps_cli.workbook.generate import generate_workbooks, unit_filenames, workbook_filename
from esps_cli.workbook.reader import read_workbook

from .conftest import CYCLE, small_tmpfs

runner = CliRunner()
ESPS = [sys.executable, "-m", "esps_cli"]


def _units_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["code,name,business_group,linked_dcfa"]
    lines += [f"{code},{name},TP,dcfa01" for code, name in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- permissions follow the umask -----------------------------------------------------------


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_generated_packs_follow_the_umask(tmp_path, framework, advisors, units, mask, expected):
    old = os.umask(mask)
    try:
        result = generate_workbooks(framework, units[:2], advisors, tmp_path / "packs",
                                    framework.cycle(CYCLE), jobs=1)
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in result.written}
    assert modes == {expected}


def test_a_replaced_report_keeps_its_mode(tmp_path, pristine_pack, units, framework):
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"old")
    report.chmod(0o644)
    pack = pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))
    old = os.umask(0o077)
    try:
        result = runner.invoke(app, ["validate", str(pack), "--output", str(report), "--force"])
    finally:
        os.umask(old)
    assert result.exit_code == 1, result.output  # a blank pack is invalid: findings, exit 1
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    assert openpyxl.load_workbook(report).sheetnames


def test_output_into_a_missing_folder_is_refused(tmp_path, pristine_pack, units, framework):
    pack = pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))
    target = tmp_path / "no-such-folder" / "report.xlsx"
    result = runner.invoke(app, ["validate", str(pack), "--output", str(target)])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert not target.parent.exists()


# -- file names that would collide -----------------------------------------------------------


def test_codes_that_slug_alike_get_distinct_pack_names(tmp_path, framework, advisors):
    long_a = "X" * 70 + "A"
    long_b = "X" * 70 + "B"
    units = [Unit(code=c, name="Same Name", business_group="TP", linked_dcfa="dcfa01")
             for c in ("B.C", "B-C", "B_C", long_a, long_b, "TP-EK")]
    cycle = framework.cycle(CYCLE)
    names = unit_filenames(units, cycle)
    assert len({n.casefold() for n in names.values()}) == len(units)
    # a unit whose name collides with nobody keeps the plain convention name
    assert names["TP-EK"] == "TP-EK_Same-Name_2010-11.xlsx"
    assert names["B.C"].startswith("B-C_Same-Name_2010-11~")
    result = generate_workbooks(framework, units, advisors, tmp_path, cycle, jobs=1)
    assert len(result.written) == len(units)
    assert len(list(tmp_path.glob("*.xlsx"))) == len(units)
    codes = {read_workbook(p).cover["unit_code"].value for p in tmp_path.glob("*.xlsx")}
    assert codes == {u.code for u in units}


# -- text is text ------------------------------------------------------------------------------


def test_framework_text_is_never_a_formula(tmp_path, advisors, units):
    data = yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))
    indicator = data["esps_units"][0]["indicators"][0]
    indicator["text"] = '=HYPERLINK("http://example.invalid","click")'
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    framework = load_framework(path)
    out = tmp_path / "packs"
    generate_workbooks(framework, units[:1], advisors, out, framework.cycle(CYCLE), jobs=1)
    (pack,) = out.glob("*.xlsx")
    ws = openpyxl.load_workbook(pack)["Indicators"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == indicator["text"]]
    assert cells, "the indicator text is in the workbook"
    assert {c.data_type for c in cells} == {"s"}


def test_placeholders_typed_in_a_unit_name_are_not_expanded(tmp_path, framework, advisors):
    unit = Unit(code="TP-ZZ", name="{{esps:linked_dcfa}} & {{esps:unit_code}}",
                business_group="TP", linked_dcfa="dcfa01")
    result = generate_workbooks(framework, [unit], advisors, tmp_path, framework.cycle(CYCLE),
                                jobs=1)
    cover = read_workbook(result.written[0]).cover
    assert cover["unit_name"].value == "{{esps:linked_dcfa}} & {{esps:unit_code}}"


# -- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    with small_tmpfs(tmp_path / "tiny", "96k") as mount:
        yield mount


def test_generate_onto_a_full_disk_says_so_and_leaves_nothing(tiny_disk):
    result = runner.invoke(app, ["generate", str(EXAMPLES_DIR / "units.csv"), "--out",
                                 str(tiny_disk), "--cycle", CYCLE, "-j", "1"])
    assert result.exit_code == 2, result.output
    assert "the disk is full" in result.output
    assert "Traceback" not in result.output
    assert list(tiny_disk.iterdir()) == []


def test_report_onto_a_full_disk_says_so(tiny_disk, pristine_pack, units, framework):
    filler = tiny_disk / "filler"
    with filler.open("wb") as fh, pytest.raises(OSError):
        fh.write(b"x" * 200_000)
    pack = pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))
    result = runner.invoke(app, ["validate", str(pack), "--output",
                                 str(tiny_disk / "report.xlsx")])
    assert result.exit_code == 2, result.output
    assert "the disk is full" in result.output
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


# -- settings and framework files that would hang or explode ----------------------------------


def test_settings_pointing_at_a_device_is_refused(tmp_path):
    result = subprocess.run([*ESPS, "summary"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "ESPS_CONFIG": "/dev/zero"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "/dev/zero: not a settings file" in result.stderr


def test_settings_not_in_utf8_is_a_clear_error(tmp_path):
    config = tmp_path / "esps.toml"
    config.write_bytes('cycle = "2010-11"\n# caf\xe9\n'.encode("cp1252"))
    result = subprocess.run([*ESPS, "summary"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "ESPS_CONFIG": str(config)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
)


@pytest.mark.parametrize("content", [BOMB, "a: &a [*a]\n"], ids=["billion-laughs", "self"])
def test_yaml_aliases_are_refused_quickly(tmp_path, content):
    path = tmp_path / "framework.yaml"
    path.write_text(content, encoding="utf-8")
    result = subprocess.run([*ESPS, "framework", "check", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "anchors and aliases" in result.stdout + result.stderr


def test_an_absurd_evidence_age_is_a_framework_problem(tmp_path):
    data = yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))
    data["esps_units"][0]["indicators"][0]["evidence"]["max_age_months"] = 10**20
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 2
    assert "max_age_months" in result.output
    assert "less than or equal to 600" in result.output


# -- Ctrl-C: a real SIGINT to a real process group --------------------------------------------


def _interrupt_when(proc: subprocess.Popen, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the command finished before it could be interrupted"
        assert time.monotonic() < deadline, "the command never reached the point to interrupt"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)


def test_interrupted_generate_leaves_no_packs_and_no_temp_files(tmp_path):
    units = _units_csv(tmp_path / "units.csv", [(f"U{i:04d}", f"Unit {i}") for i in range(3000)])
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", tmp_path / "dcfas.csv")
    out = tmp_path / "packs"
    proc = subprocess.Popen([*ESPS, "generate", str(units), "--out", str(out), "--cycle", CYCLE,
                             "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)

    def some_packs_rendered() -> bool:
        staged = list(out.glob(".esps-staging-*/*.xlsx")) if out.exists() else []
        return len(staged) > 20

    _interrupt_when(proc, some_packs_rendered)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def _sigint_ignored(pid: int) -> bool | None:
    """Whether a process ignores SIGINT (from /proc/PID/status), None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))


def _workers_ready(session: int, jobs: int) -> bool:
    """The command's worker processes are running and ignore SIGINT, as batch's workers do
    once started: the parent is then inside the command, where Ctrl-C ends the batch."""
    ready = 0
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text(encoding="ascii").rpartition(")")[2].split()
        except OSError:
            continue
        pid = int(stat_file.parent.name)
        if pid != session and int(fields[3]) == session and _sigint_ignored(pid):
            ready += 1  # fields[3]: the process group, which the command leads
    return ready >= jobs


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_interrupted_parallel_validate_ends_promptly(tmp_path, pristine_pack, units, framework):
    pack = (pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))).read_bytes()
    folder = tmp_path / "returns"
    folder.mkdir()
    for i in range(1500):
        (folder / f"return-{i:04d}.xlsx").write_bytes(pack)
    proc = subprocess.Popen([*ESPS, "validate", str(folder), "-j", "2", "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    # Wait for the state under test (workers started, so the handler is in place), not for a
    # time: on a busy machine Python may still be importing after any fixed wait.
    _interrupt_when(proc, lambda: _workers_ready(proc.pid, 2), timeout=120)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("validate hung after Ctrl-C")
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err


# -- misread input ---------------------------------------------------------------------------


def test_a_file_name_not_in_utf8_is_read_and_reported(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    odd = os.fsdecode(b"caf\xe9 return.xlsx")  # Latin-1 bytes from an old file server
    shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", folder / odd)
    for fmt in ("json", "csv", "text"):
        result = runner.invoke(app, ["validate", str(folder), "--format", fmt])
        assert result.exit_code == 0, (fmt, result.output)
    result = runner.invoke(app, ["validate", str(folder), "--format", "json"])
    assert '"file": "caf\ufffd return.xlsx"' in result.output
    assert '"unit_code": "TP-EK"' in result.output
    # beside well-named returns, before and after it: still one valid JSON document
    for name in ("a.xlsx", "z.xlsx"):
        shutil.copy(EXAMPLES_DIR / "returned" / "TP-NI_Islington_2010-11.xlsx", folder / name)
    result = runner.invoke(app, ["validate", str(folder), "--format", "json"])
    report = json.loads(result.stdout)
    assert [w["file"] for w in report["workbooks"]] == ["a.xlsx", "caf\ufffd return.xlsx",
                                                        "z.xlsx"]


def test_a_link_out_of_the_folder_is_not_followed(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", outside / "x.xlsx")
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "link.xlsx").symlink_to(outside / "x.xlsx")
    shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", folder / "own.xlsx")
    result = runner.invoke(app, ["validate", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"file": "own.xlsx"' in result.output
    assert '"file": "link.xlsx"' not in result.output
    assert "a link to a file outside the folder" in result.output


def test_a_folder_that_cannot_be_read_is_an_error_not_silence(tmp_path):
    base = tmp_path / "returns"
    base.mkdir()
    here = os.getcwd()
    os.chdir(base)
    try:  # nest folders past PATH_MAX, as a deep copy from a file share can
        for _ in range(24):
            os.mkdir("d" * 200)
            os.chdir("d" * 200)
        shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", "deep.xlsx")
    finally:
        os.chdir(here)
    result = runner.invoke(app, ["validate", str(base), "--recursive", "--format", "json"])
    assert result.exit_code == 1, result.output
    assert '"code": "folder-unreadable"' in result.output
    assert "File name too long" in result.output


SCORES_HEADER = ["unit", "indicator", "role", "assessor", "score", "comment"]


@pytest.mark.parametrize("sep, encoding", [(";", "utf-8"), ("\t", "utf-8"), (",", "utf-16"),
                                           (";", "cp1252")])
def test_units_lists_saved_by_other_excels_are_read(tmp_path, framework, advisors, sep,
                                                     encoding):
    from esps_cli.working.lists import load_units

    text = sep.join(["code", "name", "business_group", "linked_dcfa"]) + "\n"
    text += sep.join(["TP-EK", "Camden Caf\u00e9", "TP", "dcfa01"]) + "\n"
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode(encoding))
    (unit,) = load_units(path, framework, advisors)
    assert (unit.code, unit.name) == ("TP-EK", "Camden Caf\u00e9")


def test_a_column_given_twice_is_refused(tmp_path, framework, advisors):
    from esps_cli.errors import UnitsListError
    from esps_cli.working.lists import load_units

    path = tmp_path / "units.csv"
    path.write_text("code,name,business_group,linked_dcfa,Unit Code\nTP-EK,Camden,TP,dcfa01,X\n")
    with pytest.raises(UnitsListError) as caught:
        load_units(path, framework, advisors)
    assert [(p.code, str(p)) for p in caught.value.problems] == [(
        "list-repeated-column",
        "row 1: column 'code' is given 2 times, in A ('code'), E ('Unit Code'); keep one and "
        "delete or rename the others")]


def test_a_huge_csv_field_is_a_clear_error(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(",".join(SCORES_HEADER) + "\n" + "TP-EK,OD1.1,linked,dcfa01,3,"
                    + '"' + "x" * 1_100_000 + '"\n')
    Register.open(tmp_path / "esps.db").close()  # --register names an existing register
    result = runner.invoke(app, ["score", "import", str(path), "--units",
                                 str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
                                 "--register", str(tmp_path / "esps.db"), "--format", "json"])
    assert result.exit_code in (1, 2), result.output
    assert "row 2: the CSV cannot be read" in result.output
    assert "Traceback" not in result.output


# -- outputs that would destroy an input -------------------------------------------------------


def test_the_report_never_replaces_a_return(tmp_path):
    ret = tmp_path / "TP-EK.xlsx"
    shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", ret)
    before = ret.read_bytes()
    result = runner.invoke(app, ["validate", str(tmp_path), "--output", str(ret), "--force"])
    assert result.exit_code == 2, result.output
    assert "it is a unit's ESPS workbook, not a report" in result.output
    assert ret.read_bytes() == before


def test_an_export_never_replaces_the_register(tmp_path):
    register = tmp_path / "esps.db"
    common = ["--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
              "--register", str(register)]
    result = runner.invoke(app, ["allocate", *common, "--seed", "1"])
    assert result.exit_code == 0, result.output
    before = register.read_bytes()
    result = runner.invoke(app, ["score", "export", *common, "--format", "csv",
                                 "--output", str(register), "--force"])
    assert result.exit_code == 2, result.output
    assert "it is a database (an esps register?)" in result.output
    assert register.read_bytes() == before


# -- action plans: all or nothing ---------------------------------------------------------------


def _actions_args(tmp_path: Path, out: Path) -> list[str]:
    return ["actions", "--returns", str(EXAMPLES_DIR / "returned"), "--out", str(out),
            "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
            "--register", str(tmp_path / "esps.db")]


def test_actions_refuse_before_writing_any_plan(tmp_path):
    out = tmp_path / "plans"
    first = runner.invoke(app, [*_actions_args(tmp_path, out), "--unit", "TP-EK"])
    assert first.exit_code in (0, 1), first.output
    (existing,) = out.iterdir()
    result = runner.invoke(app, _actions_args(tmp_path, out))
    assert result.exit_code == 2, result.output
    assert "1 action plan(s) already exist" in result.output
    assert list(out.iterdir()) == [existing]


def test_interrupted_actions_leave_no_plans(tmp_path):
    out = tmp_path / "plans"
    proc = subprocess.Popen([*ESPS, *_actions_args(tmp_path, out), "-j", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    _interrupt_when(proc, lambda: any(out.glob(".esps-staging-*/*.xlsx")))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def test_a_ctrl_c_a_library_turned_into_its_own_error_is_still_a_ctrl_c(capsys):
    # openpyxl's value conversion catches everything and raises TypeError: a Ctrl-C landing
    # there (a race seen in the test above) must still end the command as interrupted (130),
    # not as an internal error (3); an error of the command's own stays an internal error.
    import typer

    from esps_cli.cli.common import EXIT_INTERNAL, EXIT_INTERRUPTED, handles_errors

    @handles_errors
    def setting_a_colour() -> None:
        try:
            raise KeyboardInterrupt
        except:  # noqa: E722 -- as openpyxl's descriptors do
            raise TypeError("expected <class 'openpyxl.styles.colors.RgbColor'>") from None

    @handles_errors
    def after_a_ctrl_c_was_handled() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        raise TypeError("a bug")

    with pytest.raises(typer.Exit) as interrupted:
        setting_a_colour()
    assert interrupted.value.exit_code == EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "interrupted"
    with pytest.raises(typer.Exit) as internal:
        after_a_ctrl_c_was_handled()
    assert internal.value.exit_code == EXIT_INTERNAL
    assert "internal error (TypeError: a bug)" in capsys.readouterr().err


# -- terminal injection -------------------------------------------------------------------------


def test_escape_sequences_in_a_comment_never_reach_the_terminal(tmp_path):
    from esps_cli.register import Register

    from .packs import record_returns

    register = tmp_path / "esps.db"
    common = ["--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
              "--register", str(register)]
    with Register.open(register) as reg:
        record_returns(reg, ["TP-EK"])
    hostile = "fine\x1b]0;pwned\x07\x1b[2J\x1b[31m red\x9b1m"
    result = runner.invoke(app, ["score", "set", "TP-EK", "OD1.1", "3", "--role", "linked",
                                 "--assessor", "dcfa02", "--comment", hostile, *common])
    assert result.exit_code == 0, result.output
    for args in (["score", "history", "TP-EK", "OD1.1", *common],
                 ["score", "show", "TP-EK", *common], ["log", "--register", str(register)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.output and "\x07" not in result.output, args
        assert "\x9b" not in result.output, args
    result = runner.invoke(app, ["score", "history", "TP-EK", "OD1.1", *common])
    assert "fine]0;pwned[2J[31m red1m" in result.output.replace("\n", "")
    result = runner.invoke(app, ["score", "export", "--format", "csv", *common])
    assert "\x1b" not in result.output


def test_interrupted_annotate_leaves_no_copies(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    invalid = EXAMPLES_DIR / "returned" / "TP-FH_Hammersmith-Fulham_2010-11.xlsx"
    for i in range(40):
        shutil.copy(invalid, folder / f"return-{i:02d}.xlsx")
    out = tmp_path / "marked"
    proc = subprocess.Popen([*ESPS, "validate", str(folder), "--annotate", str(out), "-j", "1",
                             "--format", "json"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, text=True)
    _interrupt_when(proc, lambda: any(out.glob(".esps-staging-*/*.xlsx")))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


# -- a tiny file with a cell far away --------------------------------------------------------


@pytest.mark.parametrize("far", ["XFD1048576", "XFD3000", "A1048576"])
def test_a_cell_far_outside_the_table_is_one_finding_not_a_crash(tmp_path, far):
    path = tmp_path / "TP-EK_Camden_2010-11.xlsx"
    shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", path)
    wb = openpyxl.load_workbook(path)
    wb["Evidence"][far] = "x"
    wb.save(path)
    assert path.stat().st_size < 100_000
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # a memory cap: the old reader aborted asking for 512 GB
        return subprocess.run(["bash", "-c", 'ulimit -v 3000000; exec "$@"', "-", *ESPS, *args],
                              capture_output=True, text=True, timeout=120)

    result = run("validate", str(path), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert f"Evidence!{far} is far outside anything a table here holds" in result.stdout
    result = run("summary", "--returns", str(tmp_path), "--units",
                 str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
                 "--register", str(tmp_path / "esps.db"), "--format", "json")
    assert result.returncode == 1, result.stderr
    camden = json.loads(result.stdout)["units"]
    assert [u["status"] for u in camden if u["unit_code"] == "TP-EK"] == ["invalid"]
    assert "Traceback" not in result.stderr


def test_a_units_list_with_a_far_cell_is_refused(tmp_path):
    path = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code", "name", "business_group", "linked_dcfa"])
    ws.append(["TP-EK", "Camden", "TP", "dcfa02"])
    ws["XFD1048576"] = "x"
    wb.save(path)
    result = subprocess.run(
        ["bash", "-c", 'ulimit -v 3000000; exec "$@"', "-", *ESPS, "generate", str(path),
         "--advisors", str(EXAMPLES_DIR / "dcfas.csv"), "--out", str(tmp_path / "packs"),
         "--cycle", CYCLE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "cell XFD1048576 is far outside anything a table here holds" in result.stderr


@pytest.mark.parametrize("ref, refused", [
    ("CZ10", False), ("DA10", True),              # columns up to CZ (104)
    ("Z150000", False), ("AA150000", True),       # from row 100,000 only up to column Z
    ("A199999", False), ("A200000", True),        # rows up to 199,999
    ("AAA1", True),
])
def test_the_far_cell_rule_at_its_boundaries(tmp_path, ref, refused):
    from esps_cli.io.xlsx import far_cell

    path = tmp_path / "sheet.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Evidence"
    wb["Evidence"]["A1"] = "heading"
    wb["Evidence"][ref] = "x"
    wb.save(path)
    assert far_cell(path, "Evidence") == (ref if refused else None)
