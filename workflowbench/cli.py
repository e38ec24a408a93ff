"""The ``workflowbench`` command line."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import warehouse as wh
from .code.compile import compile_code, known_identifiers
from .code.from_code import CodeError, function_map
from .shortcut.errors import ShortcutError
from .shortcut.reader import read_shortcut
from .shortcut.writer import write_shortcut
from .stages.contract import Batch, Result, run_stage, totals
from .stages.ingest import INGEST, IngestSettings, check_sources
from .stages.thoughts import DEFAULT_BUDGET
from .stages.transpile import checked

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Build and query the WorkflowBench warehouse.")
err = Console(stderr=True, soft_wrap=True)

WarehouseOpt = Annotated[Path, typer.Option("--warehouse", "-w", help="DuckDB warehouse file.")]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Shortcut files or folders of them.")],
    warehouse: WarehouseOpt = wh.DEFAULT_WAREHOUSE,
    batch_size: Annotated[int, typer.Option(min=1, help="Files per batch.")] = IngestSettings().batch_size,
) -> None:
    """Ingest shortcut files into the warehouse and transpile them to code (in this process, without Prefect)."""
    _sources_exist(paths)
    settings = IngestSettings(sources=tuple(str(p) for p in paths), batch_size=batch_size)
    skipped = files = 0
    with _progress() as progress:
        bar = progress.add_task("ingest", total=None)

        def planned(batches: list[Batch]) -> None:
            progress.update(bar, total=sum(len(b.items) for b in batches))

        def advance(batch: Batch, result: Result) -> None:
            nonlocal skipped, files
            files += len(batch.items)
            skipped += len(batch.items) if result.skipped else 0
            progress.advance(bar, len(batch.items))

        done = totals(run_stage(INGEST, warehouse, settings, advance, planned))
    counts = wh.publish(warehouse).counts
    err.print(f"{files} files: {done.get('shortcuts', 0)} new shortcuts, {done.get('actions', 0)} actions, "
              f"{done.get('rejected', 0)} rejected, {skipped} unchanged; "
              f"transpiled {done.get('transpiled', 0)}, {done.get('transpile_failed', 0)} failed")
    err.print(f"warehouse {warehouse}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
def build(
    source: Annotated[list[Path] | None, typer.Option("--source", "-s", help="Folder or file (repeatable).")] = None,
    warehouse: WarehouseOpt = wh.DEFAULT_WAREHOUSE,
    batch_size: Annotated[int, typer.Option(min=1, help="Files per batch task.")] = IngestSettings().batch_size,
    catalogs: Annotated[Path | None, typer.Option(
        "--catalogs", help="A local copy of the public catalogs (the layout `catalog fetch` writes).")] = None,
    llm_base_url: Annotated[str | None, typer.Option(
        "--llm-base-url", help="An OpenAI-compatible endpoint (else $OPENAI_BASE_URL; neither: the offline backend). "
                               "The key comes from $OPENAI_API_KEY only.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name at that endpoint.")] = None,
    llm_concurrency: Annotated[int | None, typer.Option(min=1, help="LLM requests in flight.")] = None,
    requests_per_minute: Annotated[float | None, typer.Option(min=0, help="LLM request limit (0: none).")] = None,
    tokens_per_minute: Annotated[float | None, typer.Option(min=0, help="LLM token limit (0: none).")] = None,
    price_in: Annotated[float | None, typer.Option(min=0, help="Price per million prompt tokens.")] = None,
    price_out: Annotated[float | None, typer.Option(min=0, help="Price per million completion tokens.")] = None,
    thoughts_budget: Annotated[int, typer.Option(min=50, help="Tokens of code per LLM request; longer code is "
                                                              "split into pieces.")] = DEFAULT_BUDGET,
    stage_setting: Annotated[list[str] | None, typer.Option(
        "--set", help="A stage's setting, STAGE.FIELD=VALUE (VALUE as JSON, else text), e.g. "
                      "min-actions.min_actions=5 (repeatable).")] = None,
    role: Annotated[list[str] | None, typer.Option(
        "--role", help="A role's endpoint, ROLE.FIELD=VALUE: base_url, model or an option such as concurrency, "
                       "e.g. thoughts.base_url=http://127.0.0.1:8000/v1 (repeatable; the key comes from "
                       "$WORKFLOWBENCH_<ROLE>_API_KEY, else $OPENAI_API_KEY).")] = None,
    samples: Annotated[int | None, typer.Option(
        min=1, help="Kept samples wanted (after every gate, in a split): synthetic samples are made until there "
                    "are that many; a larger target later adds only the difference.")] = None,
    runner: Annotated[str, typer.Option(
        "--runner", help="Where batches run: threads (of this process) or dask (worker processes; each gets "
                         "its share of the LLM limits).")] = "threads",
    dask_address: Annotated[str | None, typer.Option(
        "--dask-address", help="With --runner dask: the scheduler of an existing cluster, e.g. "
                               "tcp://10.0.0.5:8786 (else a local cluster is started).")] = None,
    dask_workers: Annotated[int | None, typer.Option(
        "--dask-workers", min=1, help="With --runner dask and no address: worker processes of the local "
                                      "cluster (default: one per core).")] = None,
) -> None:
    """Run the build-bench flow in this process (ephemeral Prefect unless PREFECT_API_URL is set)."""
    from pydantic import ValidationError

    from flows.build_bench import build_bench
    from flows.engine import check_runner

    from .llm import LLMOptions
    from .llm.config import resolve
    from .llm.preflight import EndpointError, check_endpoint
    from .llm.roles import endpoint, parse_role_settings

    options = {"concurrency": llm_concurrency, "requests_per_minute": requests_per_minute,
               "tokens_per_minute": tokens_per_minute, "price_in": price_in, "price_out": price_out}
    try:
        llm_options = LLMOptions(**{k: v for k, v in options.items() if v is not None})
        chosen = _stage_settings(stage_setting or [])
        roles = parse_role_settings(role or [])
        check_runner(runner, dask_address, dask_workers)
    except (ValidationError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    _sources_exist(source or [])
    config = endpoint("thoughts", resolve(llm_base_url, model, llm_options), roles.get("thoughts"))
    if config is not None:
        try:
            check_endpoint(config)
        except EndpointError as exc:
            _fail(f"the endpoint does not answer: {exc}")
    from contextlib import nullcontext

    from flows.server import temporary_server, wanted

    from .stages.contract import StageFailed

    try:
        with temporary_server() if wanted() else nullcontext():
            result = build_bench(sources=[str(s) for s in source] if source else None, warehouse=str(warehouse),
                                 batch_size=batch_size, catalogs=str(catalogs) if catalogs else None,
                                 llm_base_url=llm_base_url, model=model,
                                 llm_options=llm_options if llm_options.model_fields_set else None,
                                 thoughts_budget=thoughts_budget, settings=chosen or None, roles=roles or None,
                                 samples=samples, runner=runner, dask_address=dask_address,  # type: ignore[arg-type]
                                 dask_workers=dask_workers)
    except StageFailed as exc:
        err.print("[red]error[/red]", escape(str(exc)))
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result, indent=2, default=str))


@app.command()
def inspect(file: Annotated[Path, typer.Argument(help="A shortcut file (any container).")]) -> None:
    """Print a shortcut's metadata, action count, depth and defects as JSON."""
    try:
        wf = read_shortcut(file)
    except ShortcutError as exc:
        _fail(str(exc))
    info = {
        "name": wf.name,
        "path": str(file),
        "id": wf.fingerprint(),
        "container": wf.container,
        "signing": wf.signing.kind,
        "client_version": wf.client_version,
        "minimum_client_version": wf.minimum_client_version,
        "input_classes": wf.input_classes,
        "output_classes": wf.output_classes,
        "types": wf.types,
        "import_questions": len(wf.import_questions or []),
        "action_count": len(wf.actions),
        "max_depth": wf.max_depth,
        "apps": sorted({a.app for a in wf.actions}),
        "defects": [{"kind": d.kind, "index": d.index, "group": d.group, "detail": d.detail} for d in wf.defects],
    }
    typer.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))


@app.command()
def transpile(file: Annotated[Path, typer.Argument(help="A shortcut file (any container).")]) -> None:
    """Print a shortcut as Python-style code (what the `code` table holds)."""
    try:
        out = checked(read_shortcut(file), str(file))
    except ShortcutError as exc:
        _fail(str(exc))
    typer.echo(out.code, nl=False)


@app.command("compile")
def compile_shortcut(
    code_file: Annotated[Path, typer.Argument(help="Python-style code, as `workflowbench transpile` prints it.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The .shortcut file to write.")],
    warehouse: Annotated[Path, typer.Option(
        "--warehouse", "-w", help="Warehouse whose action identifiers resolve function names (if it exists).",
    )] = wh.DEFAULT_WAREHOUSE,
) -> None:
    """Compile code to an unsigned binary-plist shortcut (default icon and metadata where the code has none)."""
    try:
        text = code_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{code_file}: cannot read: {getattr(exc, 'strerror', None) or exc}")
    try:
        functions = function_map(known_identifiers(warehouse))
        wf = compile_code(text, str(code_file), name=output.stem, functions=functions)
    except CodeError as exc:
        _fail(f"{exc.source}: {exc.detail}")
    try:
        write_shortcut(wf, output)
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc.strerror or exc}")
    except (TypeError, OverflowError, ValueError) as exc:  # a value a plist cannot hold (an int over 64 bits)
        _fail(f"{code_file}: cannot be written as a plist: {type(exc).__name__}: {exc}")
    typer.echo(f"wrote {output}: {len(wf.actions)} actions, unsigned binary plist")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run on the warehouse (read-only).")],
    warehouse: WarehouseOpt = wh.DEFAULT_WAREHOUSE,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
) -> None:
    """Run SQL on the published warehouse and print the result."""
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    try:
        con = wh.connect(warehouse)
    except FileNotFoundError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(2) from None
    import duckdb

    try:
        with con:
            wh.check_query(con, query)
            cur = con.execute(query)
            columns = [d[0] for d in cur.description or []]
            rows = cur.fetchall()
    except (duckdb.Error, ValueError) as exc:
        err.print("[red]error[/red]", escape(str(exc)))
        raise typer.Exit(2) from None
    if fmt == "json":
        typer.echo(json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, default=_jsonable))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table(*columns)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        Console().print(table)


@app.command()
def stats(
    warehouse: WarehouseOpt = wh.DEFAULT_WAREHOUSE,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    origin: Annotated[str | None, typer.Option(help="Only samples of this origin: seed or synthetic.")] = None,
    synthesis: Annotated[bool, typer.Option("--synthesis", help="Print the synthetic samples' figures as JSON: "
                                            "validity (code read back and checked again), category mix, built-in "
                                            "share, size histogram, structure per level, diversity.")] = False,
) -> None:
    """Print quality figures of the ok samples (tokens approximated as characters / 4): json is the
    figures' object, table the report's "Sample quality" markdown section."""
    import duckdb

    from .quality import quality_markdown, sample_quality

    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    if synthesis:
        from .synth.figures import synthesis_figures

        try:
            typer.echo(json.dumps(synthesis_figures(warehouse), indent=2))
        except FileNotFoundError as exc:
            _fail(str(exc))
        return
    try:
        figures = sample_quality(warehouse, origin)
    except FileNotFoundError as exc:
        _fail(str(exc))
    except duckdb.Error as exc:
        _fail(f"{warehouse}: {exc}")
    if fmt == "json":
        typer.echo(json.dumps(figures, ensure_ascii=False))
    else:
        typer.echo(quality_markdown(figures), nl=False)


@app.command("compare")
def compare_warehouses(
    left: Annotated[Path, typer.Argument(help="A published warehouse file.")],
    right: Annotated[Path, typer.Argument(help="Another one.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """Compare two warehouses table by table as multisets of rows, leaving out when and by which
    code version rows were written; exit status 1 when any table differs."""
    import duckdb

    from .warehouse.compare import compare

    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    for path in (left, right):
        if not path.is_file():
            _fail(f"{path}: no warehouse there")
    try:
        diffs = compare(left, right)
    except duckdb.Error as exc:
        _fail(f"{left} / {right}: {exc}")
    if fmt == "json":
        typer.echo(json.dumps([{**d.__dict__, "same": d.same} for d in diffs]))
    else:
        table = Table("table", "rows (left)", "rows (right)", "only left", "only right", "same")
        for d in diffs:
            table.add_row(d.table, f"{d.left:,}", f"{d.right:,}", f"{d.only_left:,}", f"{d.only_right:,}",
                          "yes" if d.same else "NO")
        Console().print(table)
    if not all(d.same for d in diffs):
        raise typer.Exit(1)


catalog_app = typer.Typer(no_args_is_help=True, help="The API catalog.")
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("show")
def catalog_show(
    identifier: Annotated[str, typer.Argument(help="An action identifier, or its function name in code.")],
    warehouse: WarehouseOpt = wh.DEFAULT_WAREHOUSE,
) -> None:
    """Print an API's Python stub from the published catalog."""
    try:
        con = wh.connect(warehouse)
    except FileNotFoundError as exc:
        _fail(str(exc))
    with con:
        row = con.execute("SELECT stub FROM apis WHERE identifier = $1 OR function = $1 ORDER BY identifier LIMIT 1",
                          [identifier]).fetchone()
    if row is None:
        _fail(f"{identifier}: not in the catalog of {warehouse}")
    typer.echo(row[0])


@catalog_app.command("fetch")
def catalog_fetch(
    target: Annotated[Path, typer.Option("--to", help="Where to write them.")] = Path("catalogs"),
    accept_changed: Annotated[bool, typer.Option(
        help="Write files that differ from the tested versions (they are listed).")] = False,
    source: Annotated[Path | None, typer.Option(
        "--from", help="Copy from a local copy (same layout, or checkouts of the original repositories) "
                       "instead of downloading.")] = None,
    mirror: Annotated[str | None, typer.Option(
        "--mirror", help="Base URL serving /<owner>/<repo>/<commit>/<path> instead of "
                         "raw.githubusercontent.com (default: $WORKFLOWBENCH_CATALOG_MIRROR).")] = None,
) -> None:
    """Download the public catalog files at their pinned commits (or copy them with --from) into the
    layout `build --catalogs` reads, checking each against the tested version."""
    import pickle

    from .catalog.fetch import FetchError, fetch, fetch_from

    if source is not None and mirror is not None:
        _fail("--from and --mirror exclude each other")
    origin = str(source) if source is not None else "download"
    try:
        if source is not None:
            done = fetch_from(source, target, accept_changed=accept_changed)
        else:
            done = fetch(target, accept_changed=accept_changed, base_url=mirror)
    except FetchError as exc:  # names the URL or file: HTTP status, timeout, not JSON, refused pickle
        _fail(str(exc))
    except pickle.UnpicklingError as exc:
        _fail(f"{source}: {exc}")
    except OSError as exc:  # unreadable source, unwritable target
        _fail(f"{exc.filename or target}: {exc.strerror or exc}")
    for rel in done.missing:
        err.print(f"missing: {escape(str(source / rel) if source else rel)}")
    for rel in done.changed:
        err.print(f"changed: {escape(rel)} from {escape(done.sources[rel])} differs from the tested version")
    if done.changed and not accept_changed:
        _fail(f"{origin}: {len(done.changed)} files differ from the tested versions "
              "(see above; --accept-changed writes them)")
    for note in done.notes:
        err.print(f"licence: {escape(note)}")
    for rel in done.copied:
        err.print(f"{'written' if rel not in done.changed else 'written (changed)'}: {escape(str(target / rel))}")
    verb = "copied" if source is not None else "downloaded"
    typer.echo(f"{verb} {len(done.copied)} catalog files and {len(done.licences)} licences to {target}"
               + (f" ({len(done.changed)} changed)" if done.changed else ""))


export_app = typer.Typer(help="Exports of the warehouse for training.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("sft")
def export_sft_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for train.jsonl, dev.jsonl, manifest.json.")],
    warehouse: WarehouseOpt = wh.DEFAULT_WAREHOUSE,
    dev_share: Annotated[float, typer.Option(min=0, max=0.99, help="Share of shortcuts in dev.")] = 0.05,
    split_seed: Annotated[int, typer.Option(help="Seed of the train/dev split by shortcut.")] = 0,
    answer_form: Annotated[str, typer.Option("--form", help="Assistant turns: thought-code (WorkflowLLM's) "
                                                             "or json.")] = "thought-code",
    with_placeholders: Annotated[bool, typer.Option(help="Keep samples whose code shows placeholders.")] = False,
) -> None:
    """Write the seed samples as chat-format JSONL (system: instructions and API stubs; user: the
    query; assistant: plan and commented code), split into train and dev by shortcut."""
    from .export.sft import export_sft

    if answer_form not in ("thought-code", "json"):
        raise typer.BadParameter(f"--form is thought-code or json, not {answer_form!r}")
    try:
        manifest = export_sft(warehouse, out, dev_share=dev_share, split_seed=split_seed,
                              form=answer_form, placeholders=with_placeholders)  # type: ignore[arg-type]
    except FileNotFoundError as exc:
        _fail(str(exc))
    typer.echo(json.dumps(manifest, indent=2))


crawl_app = typer.Typer(no_args_is_help=True, help="Collect real shortcuts with their metadata, politely and "
                                                   "resumably (RoutineHub, iCloud links).")
app.add_typer(crawl_app, name="crawl")

ToOpt = Annotated[Path, typer.Option("--to", help="The source folder to write the files and metadata to.")]
RefreshOpt = Annotated[bool, typer.Option(
    "--refresh", help="Ask again for a newer version of what was collected (and for what was gone).")]
RetryOpt = Annotated[bool, typer.Option(
    "--retry-failed/--no-retry-failed", help="Try again what failed in an earlier run.")]
LimitOpt = Annotated[int | None, typer.Option(min=1, help="At most this many shortcuts that need requests.")]
DelayOpt = Annotated[float, typer.Option(min=0, help="Seconds between two requests (all hosts together).")]
JitterOpt = Annotated[float, typer.Option(min=0, help="Plus up to this many seconds, at random.")]
TimeoutOpt = Annotated[float, typer.Option(min=0.1, help="Seconds to wait for an answer.")]
MaxBytesOpt = Annotated[int, typer.Option(min=1024, help="Largest answer read, in bytes.")]
AttemptsOpt = Annotated[int, typer.Option(min=1, help="Tries per request (429, 5xx, timeouts, dropped connections).")]
BackoffOpt = Annotated[float, typer.Option(min=0, help="First back-off wait in seconds, doubled per retry.")]
MaxWaitOpt = Annotated[float, typer.Option(min=0, help="Longest single wait in seconds, Retry-After included.")]
ContactOpt = Annotated[str | None, typer.Option(help="An e-mail or URL for site operators, sent in the User-Agent.")]
RoutineHubOpt = Annotated[str, typer.Option("--routinehub-url", help="RoutineHub (or a mirror of it).")]
ICloudOpt = Annotated[str, typer.Option("--icloud-url", help="iCloud's shortcut records (or a mirror).")]
ContentOpt = Annotated[list[str] | None, typer.Option(
    "--content-host", help="A host the download URLs may point to, `*.domain` for any subdomain (repeatable; "
                           "default *.icloud-content.com).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json")]


def _crawl(site: str, to: Path, fmt: str, options: dict[str, Any], work: Any) -> None:
    """Run a crawl with these settings, print its summary, and exit 1 if every shortcut tried failed."""
    from pydantic import ValidationError

    from .crawl.errors import CrawlError
    from .crawl.http import Politeness
    from .crawl.run import Crawler, CrawlSettings
    from .crawl.state import CrawlBusy

    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    polite = {k: options.pop(k) for k in ("delay", "jitter", "timeout", "max_bytes", "attempts", "backoff",
                                          "max_wait", "contact")}
    hosts = options.pop("content_hosts") or None
    try:
        settings = CrawlSettings(to=str(to), politeness=Politeness(**polite), **options,
                                 **({"content_hosts": tuple(hosts)} if hosts else {}))
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        with Crawler(settings, log=lambda line: err.print(escape(line))) as crawler:
            summary = work(crawler)
    except (CrawlBusy, CrawlError) as exc:
        _fail(str(exc))
    except OSError as exc:  # the folder cannot be made or written
        _fail(f"{exc.filename or to}: {exc.strerror or exc}")
    err.print(escape(summary.line()))
    if fmt == "json":
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(summary.markdown(), nl=False)
    if summary.fruitless:
        raise typer.Exit(1)


@crawl_app.command("routinehub")
def crawl_routinehub_command(
    to: ToOpt = Path("raw_shortcuts/routinehub"),
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Only this category's listing, by its slug on the site (repeatable).")] = None,
    ids: Annotated[str | None, typer.Option(help="An id range, FIRST-LAST, instead of the listings.")] = None,
    refresh: RefreshOpt = False, retry_failed: RetryOpt = True, limit: LimitOpt = None,
    delay: DelayOpt = 1.5, jitter: JitterOpt = 1.0, timeout: TimeoutOpt = 30.0, max_bytes: MaxBytesOpt = 20 << 20,
    attempts: AttemptsOpt = 4, backoff: BackoffOpt = 2.0, max_wait: MaxWaitOpt = 120.0, contact: ContactOpt = None,
    routinehub_url: RoutineHubOpt = "https://routinehub.co", icloud_url: ICloudOpt = "https://www.icloud.com",
    content_host: ContentOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Collect RoutineHub's shortcuts (all, by category, or an id range): metadata from the page and the
    API, the file through iCloud, into TO as <id>.shortcut with <id>.shortcut.meta.json beside it."""
    from .crawl.run import parse_ids

    if category and ids:
        raise typer.BadParameter("--category and --ids exclude each other")
    try:
        chosen = parse_ids(ids) if ids else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    options = {"refresh": refresh, "retry_failed": retry_failed, "limit": limit, "delay": delay, "jitter": jitter,
               "timeout": timeout, "max_bytes": max_bytes, "attempts": attempts, "backoff": backoff,
               "max_wait": max_wait, "contact": contact, "routinehub_url": routinehub_url, "icloud_url": icloud_url,
               "content_hosts": content_host}
    _crawl("routinehub", to, fmt, options, lambda crawler: crawler.routinehub(category or (), chosen))


@crawl_app.command("icloud")
def crawl_icloud_command(
    urls: Annotated[Path, typer.Option("--urls", help="A file of iCloud shortcut links: text, JSON or JSON Lines "
                                                      "(ShortcutsBench's records keep their store metadata).")],
    to: ToOpt = Path("raw_shortcuts/icloud"),
    refresh: RefreshOpt = False, retry_failed: RetryOpt = True, limit: LimitOpt = None,
    delay: DelayOpt = 1.5, jitter: JitterOpt = 1.0, timeout: TimeoutOpt = 30.0, max_bytes: MaxBytesOpt = 20 << 20,
    attempts: AttemptsOpt = 4, backoff: BackoffOpt = 2.0, max_wait: MaxWaitOpt = 120.0, contact: ContactOpt = None,
    icloud_url: ICloudOpt = "https://www.icloud.com", content_host: ContentOpt = None, fmt: FormatOpt = "table",
) -> None:
    """Download every shortcut a list of iCloud links names, into TO as <record id>.shortcut with its
    metadata record beside it."""
    from .crawl.errors import CrawlError
    from .crawl.urls import read_url_list

    try:
        listed = read_url_list(urls)
    except CrawlError as exc:
        _fail(str(exc))
    if not listed:
        _fail(f"{urls}: no iCloud shortcut link (https://www.icloud.com/shortcuts/<id>) in it")
    options = {"refresh": refresh, "retry_failed": retry_failed, "limit": limit, "delay": delay, "jitter": jitter,
               "timeout": timeout, "max_bytes": max_bytes, "attempts": attempts, "backoff": backoff,
               "max_wait": max_wait, "contact": contact, "icloud_url": icloud_url, "content_hosts": content_host}
    _crawl("icloud", to, fmt, options, lambda crawler: crawler.icloud(listed))


@crawl_app.command("status")
def crawl_status_command(
    to: ToOpt = Path("raw_shortcuts/routinehub"),
    errors: Annotated[int, typer.Option(min=0, help="How many of the latest errors to show.")] = 20,
    fmt: FormatOpt = "table",
) -> None:
    """What a crawl folder's state holds: shortcuts by status, errors by reason, the latest errors."""
    from .crawl.state import read_state

    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    try:
        with read_state(to) as state:
            counts = state.counts()
            recorded = state.errors()
    except FileNotFoundError as exc:
        _fail(str(exc))
    reasons: dict[str, int] = {}
    for e in recorded:
        reasons[e["reason"]] = reasons.get(e["reason"], 0) + 1
    latest = recorded[-errors:] if errors else []
    if fmt == "json":
        typer.echo(json.dumps({"folder": str(to), "status": counts, "errors": reasons, "latest": latest}, indent=2))
        return
    table = Table("status", "shortcuts")
    for k, v in counts.items():
        table.add_row(k, f"{v:,}")
    Console().print(table)
    if latest:
        table = Table("item", "reason", "url", "detail")
        for e in latest:
            table.add_row(e["item"], e["reason"], e["url"] or "", e["detail"])
        Console().print(table)


@app.command()
def serve(
    runner: Annotated[str, typer.Option(
        "--runner", help="The deployments' default runner: threads or dask (a run can choose its own).")] = "threads",
    dask_address: Annotated[str | None, typer.Option(
        "--dask-address", help="With --runner dask: the scheduler the runs use (else each starts a local "
                               "cluster).")] = None,
    dask_workers: Annotated[int | None, typer.Option(
        "--dask-workers", min=1, help="With --runner dask and no address: the local cluster's worker "
                                      "processes.")] = None,
) -> None:
    """Serve the build-bench/nightly, build-bench/adhoc and crawl-routinehub/weekly deployments (needs a
    Prefect server)."""
    from flows.engine import check_runner
    from flows.serve import main

    try:
        check_runner(runner, dask_address, dask_workers)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    main(runner, dask_address, dask_workers)  # type: ignore[arg-type]


def _fail(message: str) -> NoReturn:
    """Print an error naming the file to stderr and exit 2, as the other commands do on bad input
    (a message is text, never rich markup)."""
    err.print("[red]error[/red]", escape(message))
    raise typer.Exit(2)


def _sources_exist(paths: list[Path]) -> None:
    try:
        check_sources(paths)
    except FileNotFoundError as exc:
        _fail(str(exc))


def _stage_settings(items: list[str]) -> dict[str, dict[str, Any]]:
    """``STAGE.FIELD=VALUE`` items as ``{stage: {field: value}}`` (the flow validates them)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, eq, value = item.partition("=")
        stage, dot, key = name.partition(".")
        if not (eq and dot and stage and key):
            raise ValueError(f"--set {item!r}: expected STAGE.FIELD=VALUE")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(stage, {})[key] = parsed
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


if __name__ == "__main__":
    app()
