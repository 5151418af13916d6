"""The HTML report as a person sees it: rendered by headless Chromium, the screenshot is not
blank and shows the matrix's PASS, FAIL and UNKNOWN colours.

The report is a real audit of three accounts on a loopback moto server: 111111111111 works
for 4.1 (and has no filter for the other controls), 222222222222's alarm notifies no one,
333333333333's trail delivers to a log group in an account the run does not include.
TRAILWATCH_SAVE_SCREENSHOT=1 also writes docs/audit-report.png (the picture in docs/findings.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from browser.png import pixels
from moto_server import Chain, build, isolated_env, process_server

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
# the matrix cells' backgrounds (trailwatch/audit/html.py CSS)
PASS, FAIL, UNKNOWN = (0xDA, 0xFB, 0xE1), (0xFF, 0xEB, 0xE9), (0xFF, 0xF8, 0xC5)


def keys(endpoint, account: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    made = endpoint.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/SecurityAudit", RoleSessionName="browser"
    )["Credentials"]
    return {
        "aws_access_key_id": made["AccessKeyId"],
        "aws_secret_access_key": made["SecretAccessKey"],
        "aws_session_token": made["SessionToken"],
    }


def test_the_html_report_renders_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    with process_server() as moto:
        build(moto, Chain(), **keys(moto, ACCOUNTS[0]))
        build(moto, Chain(alarm_actions=False), **keys(moto, ACCOUNTS[1]))
        build(
            moto,
            Chain(log_group_arn="arn:aws:logs:us-east-1:444444444444:log-group:org-trail:*"),
            **keys(moto, ACCOUNTS[2]),
        )
        roles = [a for account in ACCOUNTS for a in ("--assume-role", f"arn:aws:iam::{account}:role/SecurityAudit")]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "trailwatch",
                "audit",
                "--endpoint-url",
                moto.url,
                *roles,
                "--regions",
                "us-east-1",
                "--controls",
                "4.1,4.3,4.4,4.10",
                "--format",
                "html",
                "--output",
                str(page),
                "--quiet",
            ],
            cwd=ROOT,
            env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 2 and not done.stderr, done.stderr  # one account UNKNOWN
    shot = tmp_path / "audit.png"
    profile = tmp_path / "profile"
    subprocess.run(
        [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1100,760",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    width, height, colours = pixels(shot)
    assert (width, height) == (1100, 760)
    total = width * height
    assert colours.most_common(1)[0][1] < 0.97 * total, "the screenshot is (almost) one colour: blank"
    assert len(colours) > 50  # text is anti-aliased: many shades
    for name, rgb in (("PASS", PASS), ("FAIL", FAIL), ("UNKNOWN", UNKNOWN)):
        assert colours[rgb] > 500, f"no {name} cell in the rendered matrix"
    if os.environ.get("TRAILWATCH_SAVE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "audit-report.png")
