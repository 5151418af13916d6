"""Combining account results into one report (a run's, or the shards' of `trailwatch audit
merge`: organisation trails resolved across every account of the set) and the rendering
dispatch per --format. Needs no AWS SDK."""

from __future__ import annotations

from typing import Any

from trailwatch.cli.inputs import DATA_LIMIT, read_json

from .result import AccountResult, Report
from .usage import UsageError


def finish(results: list[AccountResult], **report: Any) -> Report:
    """The report of a run, or of shards merged: accounts in account-id order, organisation
    trails resolved across every account of the set."""
    from .verdict import recombine, resolve_across_accounts

    results = sorted(results, key=lambda a: a.account)
    ids: list[str] = []
    for account in results:
        ids.extend(c for c in account.controls if c not in ids)
    if any(len(a.controls) > 1 for a in results):
        for cid in ids:  # an organisation trail's chain, judged in its owner's account, per control
            resolve_across_accounts([a.controls[cid] for a in results if cid in a.controls])
    else:
        resolve_across_accounts(results)
    for account in results:
        recombine(account)
    return Report(accounts=results, **report)


def _version() -> str:
    from trailwatch.version import version

    return version()


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        from .report import to_json

        return to_json(report)
    if fmt == "sarif":
        from .sarif import to_sarif

        return to_sarif(report)
    if fmt == "asff":
        from .asff import to_asff

        return to_asff(report)
    if fmt == "ocsf":
        from .ocsf import to_ocsf

        return to_ocsf(report)
    if fmt == "html":
        from .html import to_html

        return to_html(report)
    from .report import to_text

    return to_text(report)


def merge_reports(paths: list[str], allow_missing: bool = False) -> Report:
    reports: list[Report] = []
    for path in paths:
        data = read_json(path, repr(path), "merge the reports written with --format json", DATA_LIMIT)
        if not isinstance(data, dict) or data.get("schema") != "trailwatch-audit":
            raise UsageError(f"{path!r}: not a trailwatch audit report (--format json)")
        if data.get("schemaVersion") != 1:
            raise UsageError(
                f"{path!r}: schemaVersion {data.get('schemaVersion')!r}; this trailwatch "
                "reads 1: merge reports of the same trailwatch version"
            )
        try:
            reports.append(Report.from_json(data))
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"{path!r}: malformed report ({type(error).__name__}: {error})") from None
    counts = {r.shard[1] for r in reports if r.shard}
    if len(counts) > 1 or (counts and any(r.shard is None for r in reports)):
        raise UsageError(
            "the reports come from different shardings (--shard I/N with different N, "
            "or an unsharded report among them): merge the shards of one run"
        )
    seen: dict[int, str] = {}
    for path, report in zip(paths, reports, strict=True):
        if report.shard:
            if report.shard[0] in seen:
                raise UsageError(
                    f"{path!r} and {seen[report.shard[0]]!r} are both shard {report.shard[0]}/{report.shard[1]}"
                )
            seen[report.shard[0]] = path
    missing = [i for i in range(1, next(iter(counts)) + 1) if i not in seen] if counts else []
    if missing and not allow_missing:
        raise UsageError(
            f"shard(s) {', '.join(f'{i}/{next(iter(counts))}' for i in missing)} missing: "
            "pass every shard's report (or --allow-missing-shards)"
        )
    accounts: dict[str, AccountResult] = {}
    for report in reports:
        for account in report.accounts:
            if account.account in accounts:
                raise UsageError(f"account {account.account} is in two reports: merge the shards of one run")
            accounts[account.account] = account
    skipped = {s.account: s for r in reports for s in r.skipped}
    merged = finish(
        list(accounts.values()),
        tool_version=_version(),
        started=min((r.started for r in reports if r.started), default=""),
        seconds=max((r.seconds for r in reports), default=0.0),
        skipped=sorted(skipped.values(), key=lambda s: s.account),
        audited=list(dict.fromkeys(c for r in reports for c in r.control_ids)),
    )
    if missing:
        merged.missing_shards = [f"{i}/{next(iter(counts))}" for i in missing]
    return merged
