"""How soon the command line answers: `engine --help` and `engine check` on the sample workspace
against bare Python (`python -c pass`), each a fresh process, measured in the same run; and
what `engine --help` loads (peak memory, and whether pandas, SQLAlchemy or FastAPI came in).

python -m bench.startup
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import ROOT, median_time

ENGINE = [sys.executable, str(ROOT / "engine.py")]
HEAVY = ("pandas", "sqlalchemy", "fastapi", "matplotlib", "argon2", "jinja2", "pydantic")


def _run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def _what_help_loads() -> tuple[list[str], float]:
    """The heavy packages `engine --help` imports, and its peak resident memory in MiB (VmHWM:
    ru_maxrss would count this benchmark's own memory, which a child inherits across exec)."""
    probe = (
        "import json, re, sys\nfrom pathlib import Path\nfrom outbound.cli import cli\n"
        "try:\n    cli.main(['--help'], prog_name='engine')\nexcept SystemExit:\n    pass\n"
        "status = Path('/proc/self/status').read_text()\n"
        "kib = int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps([loaded, kib]), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded, kib = json.loads(done.stderr.splitlines()[-1])
    return loaded, kib / 1024


def run(runs: int = 11) -> None:
    bare = median_time(runs, lambda: _run([sys.executable, "-c", "pass"], ROOT))
    helped = median_time(runs, lambda: _run([*ENGINE, "--help"], ROOT))
    checked = median_time(runs, lambda: _run([*ENGINE, "check"], ROOT))
    print(f"command line start-up, fresh processes, median of {runs}")
    print(f"  python -c pass           {bare:6.3f} s")
    print(f"  engine --help            {helped:6.3f} s   = bare + {helped - bare:.3f} s")
    print(f"  engine check (sample)    {checked:6.3f} s   = bare + {checked - bare:.3f} s")
    loaded, mib = _what_help_loads()
    print(f"  engine --help peak memory {mib:.0f} MiB, loads {', '.join(loaded) or 'none'} of")
    print(f"  {', '.join(HEAVY)}")


if __name__ == "__main__":
    run()
