"""A private CUPS scheduler for the printing tests, with a real cups-pdf queue.

`cupsd` runs as root (the cups-pdf backend refuses to run otherwise) from its own config folder in
/tmp, listening only on 127.0.0.1:PORT; nothing system-wide is started or reconfigured. Clients
reach it through CUPS_SERVER, and HOME points at a test folder so no user's lpoptions leak in.

Where the PDF lands: cups-pdf reads its config from the fixed path /etc/cups/cups-pdf.conf, and a
PPD cannot override its folders (a PPD choice cannot contain "/"). So jobs are sent under a user
name with no account (CUPS_USER), which cups-pdf writes to its anonymous folder (AnonDirName,
/var/spool/cups-pdf/ANONYMOUS on Debian) as TITLE-job_N.pdf. Job numbers start at a random
value (the scheduler's job.cache), so runs side by side never produce the same file name; the
fixture deletes the files its jobs produced.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")
DEFAULT_ANON_DIR = Path("/var/spool/cups-pdf/ANONYMOUS")
QUEUE = "ffk-test-pdf"
INSTALL_HINT = "apt-get install cups printer-driver-cups-pdf (CI: .ci/run installs them)"


def unavailable(reason: str) -> None:
    """No private CUPS here: fail in CI (it must test real printing), skip on a developer machine."""
    message = f"The CUPS printing tests need {reason}."
    if os.environ.get("CI"):
        pytest.fail(f"{message} CI must run them: {INSTALL_HINT}, and run the tests as root.")
    pytest.skip(f"{message} To run them: {INSTALL_HINT}, as root.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _anon_dir() -> Path:
    """cups-pdf's folder for jobs from unknown users, as its config sets it."""
    if CUPS_PDF_CONF.exists():
        for line in CUPS_PDF_CONF.read_text(errors="replace").splitlines():
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[0] == "AnonDirName":
                return Path(parts[1].strip())
    return DEFAULT_ANON_DIR


@dataclass
class CupsServer:
    root: Path
    port: int
    process: subprocess.Popen
    user: str
    home: Path
    outputs: list[Path] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What a client needs to talk to this scheduler (and only to it)."""
        return {"CUPS_SERVER": self.address, "HOME": str(self.home), "CUPS_USER": self.user}

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run an admin program (lpadmin, cupsreject, ...) against this scheduler; fail loudly."""
        done = subprocess.run([args[0], "-h", self.address, *args[1:]], capture_output=True, text=True,
                              env=dict(os.environ, **self.env, LC_ALL="C"), timeout=30)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {done.stderr or done.stdout}\n{self.log_tail()}")
        return done

    def add_pdf_queue(self, name: str = QUEUE, *, default: bool = True) -> str:
        """A cups-pdf queue; its PPD takes the file name from the job title (TitlePref 1)."""
        ppd = self.root / f"{name}.ppd"
        text = CUPS_PDF_PPD.read_text(encoding="latin-1").replace("*DefaultTitlePref: 0", "*DefaultTitlePref: 1")
        # cups-pdf's own log (/var/log/cups/cups-pdf-QUEUE_log): errors and status only, not debug
        text = text.replace("*DefaultLogType: 7", "*DefaultLogType: 3")
        # cups-pdf switches to group Grp (lpadmin in the stock config): use "lp", which always exists.
        text += '\n*OpenUI *Grp/Group: PickOne\n*DefaultGrp: lp\n*Grp lp/lp: ""\n*CloseUI: *Grp\n'
        ppd.write_text(text, encoding="latin-1")
        self.admin("lpadmin", "-p", name, "-E", "-v", "cups-pdf:/", "-P", str(ppd))
        if default:
            self.admin("lpadmin", "-d", name)
        return name

    def wait_for_output(self, job_id: str, *, timeout_s: float = 90) -> Path:
        """The PDF cups-pdf wrote for `job_id` ("QUEUE-N"), once the job has completed."""
        number = job_id.rsplit("-", 1)[1]
        folder = _anon_dir()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            completed = subprocess.run(["lpstat", "-h", self.address, "-W", "completed", "-o"],
                                       capture_output=True, text=True, env=dict(os.environ, LC_ALL="C")).stdout
            if any(line.split()[:1] == [job_id] for line in completed.splitlines()):
                found = sorted(folder.glob(f"*-job_{number}.pdf")) if folder.is_dir() else []
                if found:
                    self.outputs.extend(found)
                    return found[0]
            time.sleep(0.2)
        jobs = subprocess.run(["lpstat", "-h", self.address, "-l", "-o"], capture_output=True, text=True).stdout
        raise AssertionError(f"cups-pdf wrote no file for job {job_id} in {folder} within {timeout_s:.0f} s.\n"
                             f"Jobs not completed:\n{jobs}\n{self.log_tail()}")

    def copies_of(self, job_id: str) -> int:
        """How many copies the scheduler recorded for a finished job (its page_log line)."""
        number = job_id.rsplit("-", 1)[1]
        log = self.root / "log" / "page_log"
        for line in (log.read_text(errors="replace").splitlines() if log.exists() else []):
            parts = line.split(None, 2)
            if len(parts) >= 2 and parts[0] == number:
                return int(parts[1])
        raise AssertionError(f"No page_log line for job {job_id}.\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        log = self.root / "log" / "error_log"
        text = log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []
        return "cupsd error_log (last lines):\n" + "\n".join(text)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for path in self.outputs:
            path.unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _config(root: Path, port: int) -> tuple[Path, Path]:
    etc = root / "etc"
    cupsd_conf = etc / "cupsd.conf"
    files_conf = etc / "cups-files.conf"
    cupsd_conf.write_text(f"""LogLevel info
Listen 127.0.0.1:{port}
Browsing No
WebInterface No
DefaultAuthType None
MaxJobs 100
PreserveJobHistory Yes
PageLogFormat %j %{{copies}} %{{job-name}}
<Location />
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Location /admin>
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")
    files_conf.write_text(f"""ServerRoot {etc}
RequestRoot {root / 'spool'}
TempDir {root / 'spool' / 'tmp'}
CacheDir {root / 'cache'}
StateDir {root / 'run'}
AccessLog {root / 'log' / 'access_log'}
ErrorLog {root / 'log' / 'error_log'}
PageLog {root / 'log' / 'page_log'}
User lp
Group lp
SystemGroup root
""")
    return cupsd_conf, files_conf


def start_cupsd(home: Path) -> CupsServer:
    """A running private scheduler with no printers yet (skips or fails when it cannot run here).
    `home` becomes the clients' HOME (an empty folder the test owns: no one's lpoptions apply)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        unavailable("root (cupsd runs the cups-pdf backend as root, as on a real system)")
    missing = [p for p in ("cupsd", "lpadmin", "lp", "lpstat", "cupsreject") if shutil.which(p) is None]
    missing += [str(p) for p in (CUPS_PDF_BACKEND, CUPS_PDF_PPD) if not p.exists()]
    if missing:
        unavailable(f"CUPS and cups-pdf, and these are missing: {', '.join(missing)}")
    root = Path(tempfile.mkdtemp(prefix="ffk-cups-", dir="/tmp"))
    root.chmod(0o755)  # filters run as user lp and must reach the spool
    home.mkdir(parents=True, exist_ok=True)
    for sub in ("etc/ppd", "spool/tmp", "cache", "run", "log"):
        (root / sub).mkdir(parents=True)
    (root / "spool" / "tmp").chmod(0o1777)
    (root / "cache" / "job.cache").write_text(f"NextJobId {random.randint(100_000, 900_000)}\n")
    for _attempt in range(3):
        port = _free_port()
        cupsd_conf, files_conf = _config(root, port)
        log = open(root / "log" / "cupsd.out", "ab")
        process = subprocess.Popen(["cupsd", "-f", "-c", str(cupsd_conf), "-s", str(files_conf)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        server = CupsServer(root, port, process, user=f"ffk-nobody-{random.randrange(16 ** 8):08x}", home=home)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return server
            except OSError:
                time.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
    out = (root / "log" / "cupsd.out").read_text(errors="replace")
    shutil.rmtree(root, ignore_errors=True)
    raise AssertionError(f"The private cupsd did not start on 127.0.0.1 (3 ports tried):\n{out}")
