"""What one sync against one platform target needs (a `Job`), as small frozen values built once
from the settings (`load_job`, `Job.of`): where and as whom (`Target`, `Credentials`), which
campaign files (the `Environment`, None for plain files), the flows mapping (`Flows`), the
guard rails (`Guard`), the bounds and the cache folder. The engine (sync.engine.Sync) takes a
`Job`; nothing below it sees `Settings`. Several jobs (one per environment) can run at once.

`Flags` are what the command line says (each None or empty when not given): the commands
fill them in, this module merges them with the variables and campsync.yaml
(config.settings.load_settings). No printing, no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from campsync.campaign.environment import Environment
from campsync.config.environments import environment_of
from campsync.config.file import CONFIG_NAME, ConfigFile, read_config
from campsync.config.settings import (
    DEFAULT_CACHE_DIR,
    DEFAULT_PARALLELISM,
    DEFAULT_RATE_LIMIT,
    DEFAULT_WAIT,
    Safety,
    Settings,
    load_settings,
)
from campsync.config.target import Credentials, Target
from campsync.errors import ConfigError
from campsync.text import quoted

# `--env all`: every environment of campsync.yaml (so no environment may be named so).
ALL_ENVIRONMENTS = "all"


@dataclass(frozen=True)
class Flags:
    """The command line's say in a job: campsync.yaml's path, the environment, the target,
    the requests in flight, a fresh plan's guard rails (--only, --exclude, --prune,
    --force), whether an Active campaign's edit restarts it (--restart) and how long apply
    waits for a new campaign to be Ready before starting it (--wait, seconds)."""

    config: Path | None = None
    environment: str | None = None
    host: str | None = None
    stream_id: str | None = None
    account_id: str | None = None
    parallelism: int | None = None
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prune: bool | None = None
    force: bool = False
    restart: bool = False
    wait: int | None = None


@dataclass(frozen=True)
class Guard:
    """The guard rails of a job: the safety thresholds, whether unmanaged campaigns in scope
    are deleted (`prune`) and the names never deleted (`keep`), the job's scope (`only`,
    `exclude`: patterns, see sync.scope), whether an unsafe plan is applied (`force`),
    whether an Active campaign with edits is stopped, updated and started again (`restart`;
    otherwise blocked), and the seconds a start waits for its campaign to be Ready
    (`wait`)."""

    safety: Safety = field(default_factory=Safety)
    prune: bool = False
    keep: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    force: bool = False
    restart: bool = False
    wait: float = DEFAULT_WAIT


@dataclass(frozen=True)
class Flows:
    """The experienceFlows mapping of a job (flow name -> flow id), and campsync.yaml with
    the environment's name, to point at the entry of a name (`entry`)."""

    ids: Mapping[str, str] = field(default_factory=dict)
    config: ConfigFile = field(
        default_factory=lambda: ConfigFile(CONFIG_NAME), compare=False, repr=False
    )
    environment: str | None = None

    def entry(self, name: str) -> str:
        """Where campsync.yaml maps the flow `name`, to point a user at it:
        `campsync.yaml:7:5 experienceFlows` (or the environment's own mapping)."""
        path: tuple[str, ...] = ("experienceFlows", name)
        if self.environment is not None:
            own = self.config.environments.get(self.environment, {}).get("experienceFlows")
            if isinstance(own, Mapping) and name in own:
                path = ("environments", self.environment, "experienceFlows", name)
        line, column = self.config.locate(path)
        return f"{self.config.shown}:{line}:{column} {'.'.join(path[:-1])}"


@dataclass(frozen=True)
class Job:
    """One sync against one platform target: where (`target`) and as whom (`credentials`;
    its repr shows no secret), which files (`environment`: its globs and overrides; None:
    every file, as written), the flows, the guard rails, the rate limit (requests per 60 s
    per account), the requests in flight, the cache folder and campsync.yaml as messages
    name it."""

    target: Target
    credentials: Credentials = field(default_factory=Credentials)
    environment: Environment | None = None
    flows: Flows = field(default_factory=Flows)
    guard: Guard = field(default_factory=Guard)
    rate_limit: int = DEFAULT_RATE_LIMIT
    parallelism: int = DEFAULT_PARALLELISM
    cache_dir: Path = Path(DEFAULT_CACHE_DIR)
    config: str = CONFIG_NAME

    @property
    def environment_name(self) -> str | None:
        return None if self.environment is None else self.environment.name

    @classmethod
    def of(cls, settings: Settings, flags: Flags = Flags()) -> Job:
        """The job of `settings` (everything a command that talks to the platform needs must
        be set: ConfigError otherwise), with the guard rails the flags give."""
        return cls(
            target=settings.target(),
            credentials=settings.credentials,
            environment=environment_of(settings),
            flows=Flows(settings.experience_flows, settings.config, settings.environment),
            guard=Guard(
                safety=settings.safety,
                prune=settings.prune if flags.prune is None else flags.prune,
                keep=settings.keep,
                only=flags.only,
                exclude=flags.exclude,
                force=flags.force,
                restart=flags.restart,
                wait=DEFAULT_WAIT if flags.wait is None else flags.wait,
            ),
            rate_limit=settings.rate_limit,
            parallelism=settings.parallelism,
            cache_dir=settings.cache_dir,
            config=settings.config.shown,
        )


def load_job(
    flags: Flags,
    *,
    env: Mapping[str, str] | None = None,
    saved_environment: str | None = None,
    config: ConfigFile | None = None,
) -> Job:
    """The job the flags ask for: the settings merged (flags > variables (`env`, default
    os.environ) > the chosen environment of campsync.yaml > its top level), then checked
    for a command that talks to the platform. One-line ConfigError otherwise. Applying a
    saved plan, the environment it was made for (`saved_environment`) is the job's unless
    another is chosen, which is refused (config.settings.chosen_environment). `config`:
    campsync.yaml already read (default: read here)."""
    settings = load_settings(
        config_path=flags.config,
        env=env,
        host=flags.host,
        stream_id=flags.stream_id,
        account_id=flags.account_id,
        parallelism=flags.parallelism,
        environment=flags.environment,
        saved_environment=saved_environment,
        config=config,
    )
    return Job.of(settings, flags)


def environment_names(given: Sequence[str], config_path: Path | None = None) -> list[str]:
    """The environments that `--env` names (repeatable): each once, in the order given, and
    `all` for every environment of campsync.yaml, in its order. Empty when --env is not given
    (then CAMPSYNC_ENV, one name, chooses, as for one environment). Several names are all
    checked here, before any job is made (ConfigError for one campsync.yaml does not define,
    or `all` when it defines none); one name is checked by load_job, as ever."""
    names = list(dict.fromkeys(given))
    if len(names) < 2 and ALL_ENVIRONMENTS not in names:
        return names
    config = read_config(config_path)
    defined = list(config.environments)
    if ALL_ENVIRONMENTS in names:
        if not defined:
            raise ConfigError(f"--env {ALL_ENVIRONMENTS}: {config.shown} defines no environments")
        return defined
    unknown = [name for name in names if name not in defined]
    if unknown:
        where = (
            f"{config.shown} defines {', '.join(sorted(defined))}"
            if defined
            else (f"{config.shown} has no environments")
        )
        raise ConfigError(f"unknown environment {quoted(unknown[0])}: {where}")
    return names


def load_jobs(flags: Flags, names: Sequence[str]) -> list[Job | ConfigError]:
    """One job per environment (`load_job` with each name; campsync.yaml read once for them
    all), or the one-line reason that environment has none (a credential variable not set,
    say): the others still run."""
    config = read_config(flags.config)
    jobs: list[Job | ConfigError] = []
    for name in names:
        try:
            jobs.append(load_job(replace(flags, environment=name), config=config))
        except ConfigError as error:
            jobs.append(error)
    return jobs


def load_credentials(
    flags: Flags, *, env: Mapping[str, str] | None = None, saved_environment: str | None = None
) -> Credentials:
    """The credentials the flags' settings give, for a command that talks to no platform
    (`show`: the key that checks a saved plan's signature): nothing else need be set. The
    environment as for load_job (a saved plan's own unless another is chosen: refused)."""
    settings = load_settings(
        config_path=flags.config,
        env=env,
        environment=flags.environment,
        saved_environment=saved_environment,
    )
    return settings.credentials
