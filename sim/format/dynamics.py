"""A scenario's dynamics beyond one tension and one ladder: state variables (with learning),
flags, coupled ladders and hazards, and how actors perceive (docs/format.md, "State
variables" and after).

The names come first (`read_names`): variables, flags and ladder keys, so that actions,
conditions and events can be checked against them; the parts that hold conditions
(learning, hazards) are read once the scenario's symbols are known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import vocabulary
from .check import ID_RE, Checker, join, listing, suggest
from .distributions import Number, parse_number
from .dynamics_vocabulary import MAX_LAG
from .expr import Condition, Symbols, compile_condition
from .expr_syntax import ExprError
from .ladder import Ladder, compile_guard
from .yamlio import line_of

VARIABLE_KEYS = vocabulary.keys("variable")
LEARN_KEYS = vocabulary.keys("learn")
FLAG_KEYS = vocabulary.keys("flag")
COUPLED_KEYS = vocabulary.keys("coupledLadder")
HAZARD_KEYS = vocabulary.keys("hazard")
PERCEIVE_KEYS = vocabulary.keys("perceive")


@dataclass(frozen=True, slots=True)
class Learning:
    """value += rate * (x - value), x the share of `toward` that holds for the holder."""

    rate: float
    toward: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Variable:
    """A named number per run: `initial`, then decay * value + effects, kept in [low, high]."""

    name: str
    initial: Number = 0.0
    decay: Number = 1.0
    low: float | None = None
    high: float | None = None
    learn: Learning | None = None
    description: str = ""

    @property
    def owner(self) -> str | None:
        """The actor that holds it (`<actor>.x`), or None for a scenario-wide one."""
        return self.name.split(".")[0] if "." in self.name else None


@dataclass(frozen=True, slots=True)
class FlagDef:
    """A standing state per run that actions and events set and clear."""

    name: str
    initial: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Coupled:
    """A further ladder of the scenario, by key."""

    key: str
    ladder: Ladder
    start: str
    reads: str = "tension"
    ends_run: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True)
class Hazard:
    """A chance move of ladder `ladder` (a key) from the stages `at` to `to`, per step."""

    ladder: str
    at: tuple[str, ...]
    to: str
    p: Number
    when: Condition | None = None
    description: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Perceived:
    """How an actor sees `name` (tension, a variable, `stage` or `<key>.stage`)."""

    name: str
    bias: Number = 0.0
    noise: Number = 0.0
    lag: int = 0


@dataclass
class Names:
    """What actions, conditions and events may name beyond stages and actions."""

    main_key: str = "main"
    reads: str = "tension"
    variables: dict[str, dict] = field(default_factory=dict)  # name -> its raw mapping
    flags: tuple[str, ...] = ()
    ladders: dict[str, Ladder] = field(default_factory=dict)  # key -> ladder, main first
    learning: frozenset[str] = frozenset()  # variables that learn (no effects on them)

    def stages(self, key: str) -> tuple[str, ...]:
        return self.ladders[key].stage_ids

    def numbers(self) -> tuple[str, ...]:
        """Names that hold a number: tension and every variable."""
        return ("tension", *self.variables)

    def symbols(self, actions: dict[str, tuple[str, ...]]) -> Symbols:
        main = self.ladders[self.main_key].stage_ids
        return Symbols.of(main, actions, variables=tuple(self.variables), flags=self.flags,
                          ladders={k: ld.stage_ids for k, ld in self.ladders.items()})


LadderLoader = Callable[[Checker, dict, str], Ladder | None]


def read_names(ck: Checker, top: dict, main: Ladder, actor_ids: list[str],
               load: LadderLoader) -> tuple[Names, list[Coupled]]:
    """Variables, flags and coupled ladders (loaded with `load(ck, mapping, path)`)."""
    names = Names()
    key = ck.get(top, "key", "", "id", default="main")
    names.main_key = key or "main"
    names.ladders[names.main_key] = main
    coupled: list[Coupled] = []
    raw = ck.id_mapping(top.get("ladders", {}), "ladders", line_of(top, "ladders"), "ladder key")
    for k, value in (raw or {}).items():
        path = join("ladders", k)
        if k == names.main_key:
            ck.error(line_of(raw, k), path, f"'{k}' is the main ladder's key (`key`)")
            continue
        m = ck.mapping(value, path, line_of(raw, k), COUPLED_KEYS,
                       vocabulary.required("coupledLadder"))
        if m is None:
            continue
        ladder = load(ck, m, path) if "ladder" in m else None
        start = ck.get(m, "start", path, "id", required=True)
        if ladder is None or start is None:
            continue
        if start not in ladder.stage_ids:
            ck.error(line_of(m, "start"), join(path, "start"), f"unknown stage '{start}'"
                     f"{suggest(start, ladder.stage_ids)} (ladder {ladder.id} has: "
                     f"{listing(ladder.stage_ids)})")
            continue
        if ladder.stages[ladder.index(start)].absorbing:
            ck.error(line_of(m, "start"), join(path, "start"),
                     f"'{start}' is absorbing; a ladder cannot start where it would end")
            continue
        names.ladders[k] = ladder
        coupled.append(Coupled(k, ladder, start, m.get("reads", "tension"),
                               bool(ck.get(m, "ends_run", path, "bool", default=True)),
                               ck.get(m, "description", path, "str", default="")))
    variables = top.get("variables", {})
    if not isinstance(variables, dict):
        ck.error(line_of(top, "variables"), "variables", "expected a mapping of variable names")
        variables = {}
    for name, value in variables.items():
        if _name_ok(ck, variables, name, "variables", actor_ids):
            names.variables[name] = value if isinstance(value, dict) else {}
    names.learning = frozenset(n for n, m in names.variables.items() if "learn" in m)
    flags = top.get("flags", {})
    if not isinstance(flags, dict):
        ck.error(line_of(top, "flags"), "flags", "expected a mapping of flag names")
        flags = {}
    names.flags = tuple(n for n in flags if _name_ok(ck, flags, n, "flags", actor_ids)
                        and n not in names.variables)
    for n in set(flags) & set(names.variables):
        ck.error(line_of(flags, n), join("flags", n), f"'{n}' is a variable too")
    names.reads = _reads(ck, top, "", names)
    for c in coupled:
        assert raw is not None  # a coupled ladder was read from it
        _reads(ck, raw[c.key], join("ladders", c.key), names)
    return names, coupled


def _reads(ck: Checker, m: dict, path: str, names: Names) -> str:
    value = ck.get(m, "reads", path, "str", default="tension")
    if value is None or value in names.numbers():
        return value or "tension"
    ck.error(line_of(m, "reads"), join(path, "reads"), f"unknown variable '{value}'"
             f"{suggest(value, names.numbers())} (expected tension or one of the scenario's "
             f"variables: {listing(names.variables) or 'none declared'})")
    return "tension"


def _name_ok(ck: Checker, m: dict, name: object, what: str, actor_ids: list[str]) -> bool:
    """`x` or `<actor>.x`, not a built-in name."""
    field = join(what, name)
    parts = str(name).split(".")
    if not isinstance(name, str) or len(parts) > 2 or not all(ID_RE.match(p) for p in parts):
        ck.error(line_of(m, name), field, f"bad name {name!r}: expected a lower-case id, or "
                 "<actor>.<id> for one an actor holds")
        return False
    if len(parts) == 2 and parts[0] not in actor_ids:
        ck.error(line_of(m, name), field, f"unknown actor '{parts[0]}'"
                 f"{suggest(parts[0], actor_ids)} (actors: {listing(actor_ids)})")
        return False
    if parts[-1] in ("uniform", "normal", "beta", "choice", "clip", "p"):
        ck.error(line_of(m, name), field, f"'{parts[-1]}' is a key of distributions; choose "
                 "another name")
        return False
    if len(parts) == 2 and parts[1] in ("last", "stage"):
        ck.error(line_of(m, name), field, f"'{parts[1]}' is taken: conditions read "
                 f"<actor>.last and <ladder key>.stage")
        return False
    if name in ("stage", "tension", "step"):
        ck.error(line_of(m, name), field, f"'{name}' is a built-in name")
        return False
    return True


def read_variables(ck: Checker, names: Names, symbols: Symbols) -> list[Variable]:
    """The variables, with their learning conditions compiled."""
    out = []
    for name, m in names.variables.items():
        path = join("variables", name)
        line = line_of(m) if m else None
        mm = ck.mapping(m, path, line, VARIABLE_KEYS)
        if mm is None:
            continue
        initial = parse_number(ck, mm["initial"], join(path, "initial"),
                               line_of(mm, "initial")) if "initial" in mm else 0.0
        decay = parse_number(ck, mm["decay"], join(path, "decay"), line_of(mm, "decay"),
                             0.0, 1.0) if "decay" in mm else 1.0
        low = ck.finite(mm["min"], line_of(mm, "min"), join(path, "min")) if "min" in mm else None
        high = ck.finite(mm["max"], line_of(mm, "max"), join(path, "max")) if "max" in mm else None
        if low is not None and high is not None and low > high:
            ck.error(line_of(mm, "max"), join(path, "max"), f"max {high:g} is below min {low:g}")
        learn = None
        if "learn" in mm:
            if "decay" in mm:
                ck.error(line_of(mm, "decay"), join(path, "decay"), "a variable that learns has "
                         "no decay: learning sets how fast it moves")
            learn = _learning(ck, mm, path, symbols)
        if initial is None or decay is None:
            continue
        out.append(Variable(name, initial, decay, low, high, learn,
                            ck.get(mm, "description", path, "str", default="")))
    return out


def _learning(ck: Checker, mm: dict, path: str, symbols: Symbols) -> Learning | None:
    path = join(path, "learn")
    lm = ck.mapping(mm["learn"], path, line_of(mm, "learn"), LEARN_KEYS,
                    vocabulary.required("learn"))
    if lm is None:
        return None
    rate = ck.get(lm, "rate", path, "number", required=True)
    if rate is not None and not 0 < rate <= 1:
        ck.error(line_of(lm, "rate"), join(path, "rate"), f"expected a rate in (0, 1], got {rate}")
        rate = None
    raw = lm.get("toward")
    items = raw if isinstance(raw, list) else [raw]
    conditions = []
    for i, text in enumerate(items):
        where = join(path, "toward") + (f"[{i}]" if isinstance(raw, list) else "")
        line = line_of(raw, i) if isinstance(raw, list) else line_of(lm, "toward")
        if not isinstance(text, str) or not text:
            ck.error(line, where, "expected a condition, e.g. 'warsaw.last == harden'")
            continue
        try:
            conditions.append(compile_condition(text, symbols))
        except ExprError as exc:
            ck.error(line, where, f"bad condition {text!r}: {exc}")
    if rate is None or len(conditions) != len(items) or not items:
        return None
    return Learning(float(rate), tuple(conditions))


def read_flags(ck: Checker, top: dict, names: Names) -> list[FlagDef]:
    flags = top.get("flags", {})
    out = []
    for name in names.flags:
        m = flags[name] if flags[name] is not None else {}
        path = join("flags", name)
        mm = ck.mapping(m, path, line_of(flags, name), FLAG_KEYS)
        if mm is None:
            continue
        out.append(FlagDef(name, bool(ck.get(mm, "initial", path, "bool", default=False)),
                           ck.get(mm, "description", path, "str", default="")))
    return out


def read_hazards(ck: Checker, top: dict, names: Names, symbols: Symbols) -> list[Hazard]:
    seq = ck.sequence(top.get("hazards", []), "hazards", line_of(top, "hazards"), "hazards")
    out = []
    for i, item in enumerate(seq or []):
        path = f"hazards[{i}]"
        m = ck.mapping(item, path, line_of(seq, i), HAZARD_KEYS, vocabulary.required("hazard"))
        if m is None:
            continue
        key = ck.get(m, "ladder", path, "id", default=names.main_key)
        if key not in names.ladders:
            ck.error(line_of(m, "ladder"), join(path, "ladder"), f"unknown ladder key '{key}'"
                     f"{suggest(key, names.ladders)} (keys: {listing(names.ladders)})")
            continue
        ladder = names.ladders[key]
        at = m.get("at")
        at = tuple(at) if isinstance(at, list) else (at,)
        to = ck.get(m, "to", path, "id", required=True)
        bad = [s for s in (*at, to) if s is not None and s not in ladder.stage_ids]
        for s in bad:
            field = join(path, "to" if s == to else "at")
            ck.error(line_of(m, "to" if s == to else "at"), field, f"unknown stage '{s}'"
                     f"{suggest(str(s), ladder.stage_ids)} (ladder {ladder.id} has: "
                     f"{listing(ladder.stage_ids)})")
        p = parse_number(ck, m.get("p"), join(path, "p"), line_of(m, "p"), 0.0, 1.0)
        when = compile_guard(ck, m, "when", path, symbols)
        if bad or to is None or p is None or ("when" in m and when is None):
            continue
        for s in at:
            if to not in ladder.targets(s):
                ck.error(line_of(m, "at"), join(path, "at"), f"no edge of ladder {ladder.id} "
                         f"leads from '{s}' to '{to}'")
                bad.append(s)
            elif ladder.stages[ladder.index(s)].absorbing:
                ck.error(line_of(m, "at"), join(path, "at"), f"'{s}' is absorbing")
                bad.append(s)
        if not bad:
            out.append(Hazard(key, at, to, p, when,
                              ck.get(m, "description", path, "str", default=""),
                              line_of(seq, i)))
    return out


def read_perceives(ck: Checker, m: dict, path: str, names: Names) -> tuple[Perceived, ...]:
    """An actor's `perceives`: what it sees with bias, noise and lag."""
    raw = m.get("perceives", {})
    path = join(path, "perceives")
    if not isinstance(raw, dict):
        ck.error(line_of(m, "perceives"), path, "expected a mapping: quantity -> "
                 "{bias, noise, lag}")
        return ()
    seen = [*names.numbers(), "stage", *(f"{k}.stage" for k in names.ladders)]
    out = []
    for name, value in raw.items():
        field = join(path, name)
        if name not in seen:
            ck.error(line_of(raw, name), field, f"unknown quantity '{name}'"
                     f"{suggest(str(name), seen)} (expected one of {listing(seen)})")
            continue
        pm = ck.mapping(value if value is not None else {}, field, line_of(raw, name),
                        PERCEIVE_KEYS)
        if pm is None:
            continue
        bias = parse_number(ck, pm["bias"], join(field, "bias"),
                            line_of(pm, "bias")) if "bias" in pm else 0.0
        noise = parse_number(ck, pm["noise"], join(field, "noise"), line_of(pm, "noise"),
                             0.0) if "noise" in pm else 0.0
        lag = ck.get(pm, "lag", field, "int", default=0)
        if lag is not None and not 0 <= lag <= MAX_LAG:
            ck.error(line_of(pm, "lag"), join(field, "lag"),
                     f"expected a whole number of steps from 0 to {MAX_LAG}, got {lag}")
            lag = None
        if bias is not None and noise is not None and lag is not None:
            main = f"{names.main_key}.stage"
            out.append(Perceived("stage" if name == main else name, bias, noise, lag))
    return tuple(out)


def read_stage_ref(ck: Checker, m: dict, key: str, path: str, names: Names
                   ) -> tuple[str, str] | None:
    """`m[key]` written `<ladder key>:<stage>` (a trigger or an event's stage on a coupled
    ladder): the pair, or None after reporting an unknown key or stage."""
    ladder, _, stage = str(m[key]).partition(":")
    field = join(path, key)
    if ladder not in names.ladders:
        ck.error(line_of(m, key), field, f"unknown ladder key '{ladder}'"
                 f"{suggest(ladder, names.ladders)} (keys: {listing(names.ladders)})")
        return None
    stages = names.stages(ladder)
    if stage not in stages:
        ck.error(line_of(m, key), field, f"unknown stage '{stage}' of ladder '{ladder}'"
                 f"{suggest(stage, stages)} (stages: {listing(stages)})")
        return None
    return ladder, stage
