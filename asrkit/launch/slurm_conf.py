"""``conf/slurm.conf``: how launcher options become ``sbatch`` options (Kaldi/ESPnet format).

    command sbatch --export=ALL           # the submit command and its fixed options
    option mem=* --mem-per-cpu $0          # --mem 4G  ->  --mem-per-cpu 4G
    option mem=0                           # --mem 0   ->  nothing
    default gpu=0                          # no --gpu  ->  as if --gpu 0
    option gpu=0 -p cpu
    option gpu=* -p gpu --gres=gpu:$0

An exact ``name=value`` line wins over ``name=*``. An option given (or defaulted) that no
line describes is an error, so a typo cannot silently drop a resource request. Options
are emitted in the order their first line appears in the file; sbatch keeps the last of
a repeated option (so ``gpu`` lines with ``-c`` after ``num_threads`` size a GPU job's CPUs
by its GPUs, whatever ``--num-threads`` says). ``#`` starts a comment.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from asrkit.launch.jobs import LaunchError

# Used when neither --config nor conf/slurm.conf exists: no partitions, which any
# cluster with a default partition accepts; 8 CPUs per GPU as conf/slurm.conf explains.
DEFAULT_CONFIG = """\
command sbatch --export=ALL
option name=* --job-name $0
option time=* --time $0
option mem=* --mem-per-cpu $0
option mem=0
option num_threads=* --cpus-per-task $0
option num_threads=1 --cpus-per-task 1
default gpu=0
option gpu=0
""" + "".join(f"option gpu={n} --gres=gpu:{n} -c {8 * n}\n" for n in range(1, 9))


@dataclass
class SlurmConfig:
    """Parsed ``slurm.conf``: the submit command, option rules and defaults."""

    command: list[str]
    rules: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> value|"*" -> args
    defaults: dict[str, str] = field(default_factory=dict)
    source: str = "the default slurm config"

    @classmethod
    def parse(cls, text: str, source: str = "the default slurm config") -> "SlurmConfig":
        command: list[str] | None = None
        rules: dict[str, dict[str, str]] = {}
        defaults: dict[str, str] = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"{source}:{lineno}"
            keyword, _, rest = line.partition(" ")
            rest = rest.strip()
            if keyword == "command":
                try:
                    command = shlex.split(rest)
                except ValueError as e:
                    raise LaunchError(f"{where}: cannot split '{rest}': {e}") from None
                if not command:
                    raise LaunchError(f"{where}: 'command' needs the submit program, "
                                      "e.g. 'command sbatch --export=ALL'")
            elif keyword in ("option", "default"):
                spec, _, args = rest.partition(" ")
                name, eq, value = spec.partition("=")
                if not eq or not name or not value:
                    raise LaunchError(f"{where}: expected '{keyword} name=value ...', got '{raw.strip()}'")
                if keyword == "default":
                    if args.strip():
                        raise LaunchError(f"{where}: 'default {spec}' takes no sbatch options")
                    defaults[name] = value
                else:
                    rules.setdefault(name, {})[value] = args.strip()
            else:
                raise LaunchError(f"{where}: cannot parse '{raw.strip()}'; lines must start with "
                                  "'command', 'option' or 'default'")
        if command is None:
            raise LaunchError(f"{source}: no 'command' line (e.g. 'command sbatch --export=ALL')")
        return cls(command, rules, defaults, source)

    @classmethod
    def load(cls, path: str | Path | None) -> "SlurmConfig":
        """Read ``path``; with None, ``conf/slurm.conf`` if present, else the built-in default."""
        if path is None:
            if not Path("conf/slurm.conf").is_file():
                return cls.parse(DEFAULT_CONFIG)
            path = "conf/slurm.conf"
        path = Path(path)
        if not path.is_file():
            raise LaunchError(f"slurm config {path} does not exist (give --config conf/slurm.conf)")
        return cls.parse(path.read_text(encoding="utf-8"), str(path))

    def describes(self, name: str) -> bool:
        return name in self.rules

    def sbatch_args(self, options: dict[str, str]) -> list[str]:
        """The sbatch options for ``options`` (name -> value; defaults fill the rest)."""
        values = dict(self.defaults)
        values.update({k: str(v) for k, v in options.items() if v is not None})
        unknown = [n for n in values if n not in self.rules]
        if unknown:
            name = unknown[0]
            raise LaunchError(f"--{name.replace('_', '-')} {values[name]} is not described in "
                              f"{self.source}: add a line 'option {name}=* <sbatch options with $0>'")
        args: list[str] = []
        for name, by_value in self.rules.items():
            if name not in values:
                continue
            value = values[name]
            if value in by_value:
                template = by_value[value]
            elif "*" in by_value:
                template = by_value["*"].replace("$0", value)
            else:
                raise LaunchError(f"--{name.replace('_', '-')} {value} is not allowed by {self.source} "
                                  f"(it has lines for {name}={', '.join(sorted(by_value))})")
            args += shlex.split(template)
        return args
