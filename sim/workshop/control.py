"""Control's powers over a played run: the umpire's judgement, always with a reason.

- `inject`: change the state now (tension, a variable, a flag, a stage, a parameter, or a
  scenario event applied now);
- `adjudicate`: move a ladder's stage by hand now;
- `force` and `veto`: make an actor take a move next step, or forbid moves for this turn (its
  policy is drawn again without them);
- `argue` and `rule`: a team states a move outside its repertoire; Control sets its
  probability of success, what success does and the repertoire move that stands in for it;
  the session rolls for it at the next step (`Session.play`);
- `order`: a standing order, the move a played actor repeats on the steps a turn plays by
  itself.

Changes of the state now push a new position onto the played line (so `undo` takes them
back) with the outlook before and after. Every power is logged as a `ControlAct`, which the
transcript marks as Control's judgement, not the model's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..format.check import suggest
from ..format.overrides import param_problem
from ..format.scenario import Scenario
from .entries import Argued, CommandError, ControlAct, Position, check_players, whole_number

if TYPE_CHECKING:
    from .session import Session

ON = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}
INJECT_HELP = ("inject tension +X|-X|=X, inject VARIABLE +X|=X, inject FLAG on|off, inject "
               "event N|NAME, inject stage [LADDER:]STAGE, inject param PATH VALUE")


def needs_reason(power: str, why: str) -> None:
    """Refuse one of Control's powers without a reason: the transcript records each."""
    if not why.strip():
        raise CommandError(f"{power} needs Control's reason after --, e.g. "
                           f"{power} ... -- the room judged the crossing closed")


def finite_number(text: str, what: str) -> float:
    """`text` as a finite number; CommandError naming `what` otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{what}: {text!r} is not a number") from None
    if not np.isfinite(value):
        raise CommandError(f"{what}: {text!r} is not a finite number")
    return value


def _amount(old: np.ndarray, text: str, what: str) -> np.ndarray:
    """`=X` sets, `+X` or `-X` adds."""
    if text.startswith("="):
        return np.full_like(old, finite_number(text[1:], what))
    if text[:1] not in "+-":
        raise CommandError(f"{what}: give +X or -X to add, =X to set; got {text!r}")
    return old + finite_number(text, what)


def apply_change(session: Session, kind: str, value: str) -> str:
    """Change the played run's state now (between steps); the change as text.

    Args:
        kind: "tension", "event", "stage", a variable or a flag of the scenario.
        value: +X, -X or =X for tension and a variable; on or off for a flag; an event's
            number or name; a stage as [LADDER:]STAGE.
    """
    model, sc = session.model, session.scenario
    if kind == "tension":
        model.tension = _amount(model.tension, value, "inject tension")
        return f"tension {value}"
    if kind == "event":
        name = event_name(sc, value)
        model.apply_event(name)
        return f"event {name!r} applied now"
    if kind == "stage":
        return set_stage(session, value)
    if kind in model.vars.values:
        values = model.vars.values
        values[kind] = _amount(values[kind], value, f"inject {kind}")
        model.vars.clip(kind)
        return f"{kind} {value}"
    if kind in model.vars.flags:
        if value.lower() not in ON:
            raise CommandError(f"inject {kind}: a flag is on or off, got {value!r}")
        model.vars.flags[kind][:] = ON[value.lower()]
        return f"flag {kind} {value.lower()}"
    names = ["tension", "event", "stage", *model.vars.values, *model.vars.flags]
    raise CommandError(f"inject what? {kind!r}{suggest(kind, names)} is not tension, event, "
                       f"stage, param or one of the scenario's variables and flags "
                       f"({', '.join(names[3:]) or 'it has none'}); {INJECT_HELP}")


def set_stage(session: Session, target: str) -> str:
    """Move a ladder (`LADDER:STAGE`, the main one by default) to STAGE now."""
    model = session.model
    key, _, stage = target.rpartition(":")
    key = key or session.scenario.key
    if key not in model.track_keys:
        raise CommandError(f"no ladder {key!r}{suggest(key, model.track_keys)} (ladders: "
                           f"{', '.join(model.track_keys)})")
    track = model.track(key)
    ids = track.ladder.stage_ids
    if stage not in ids:
        raise CommandError(f"ladder {key} has no stage {stage!r}{suggest(stage, ids)} "
                           f"(stages: {', '.join(ids)})")
    old = ids[int(track.stage[0])]
    track.set_stage(np.full(model.n, ids.index(stage)), model.active.copy(), None)
    if not model.active.any():  # an absorbing stage ends the run
        model.running = False
        model.finish()
    return f"{key} ladder {old} -> {stage}"


def set_parameter(session: Session, path: str, value: str) -> str:
    """Set a parameter (a path as an event's `set:` takes it) in the played run now; the
    outlooks' fresh draws get it too."""
    sc = session.scenario
    problem = param_problem(path, sc.ladder, list(sc.actors))
    if problem:
        raise CommandError(f"inject param {path}: {problem}")
    number = finite_number(value, f"inject param {path}")
    if number < 0 and not path.endswith(".effect"):
        raise CommandError(f"inject param {path}: a weight, scale or decay is >= 0, got {value}")
    session.model.set_parameter(path, number)
    return f"{path} = {number:g}"


def change_now(session: Session, power: str, words: list[str], why: str) -> ControlAct:
    """Inject (`words`: what and its value) or adjudicate (`words`: [LADDER:]STAGE) now: the
    state changes, a new position is pushed, the outlook before and after is logged."""
    session.check_running()
    needs_reason(power, why)
    before = session.outlook()
    snapshot = session.model.snapshot()
    try:
        if power == "adjudicate":
            if len(words) != 1:
                raise CommandError("adjudicate [LADDER:]STAGE -- why, e.g. adjudicate "
                                   "border_incident -- the incident counts as one")
            what = set_stage(session, words[0])
        elif len(words) == 3 and words[0] == "param":
            what = set_parameter(session, words[1], words[2])
        elif len(words) == 2:
            what = apply_change(session, words[0], words[1])
        else:
            raise CommandError(f"inject needs what and how much; {INJECT_HELP}")
    except CommandError:
        session.model.restore(snapshot)
        raise
    act = ControlAct(session.t, power, what, why.strip(), before)
    session.line.append(Position(session.model.snapshot(), None, act=act))
    act.after = None if session.ended else session.outlook()
    session.log.append(act)
    return act


def _actor_action(session: Session, power: str, actor: str, action: str) -> int:
    """The code of an action an actor may take at the current stage (any actor, played or
    not, but not a population)."""
    session.check_running()
    check_players(session.scenario, [actor], what=power, error=CommandError)
    agent = session.model.agent_of(actor)
    ids = agent.actor.action_ids
    if action not in ids:
        raise CommandError(f"{power}: {actor} has no action {action!r}{suggest(action, ids)} "
                           f"(actions: {', '.join(ids)})")
    return ids.index(action)


def force(session: Session, actor: str, action: str, why: str) -> ControlAct:
    """Control makes `actor` take `action` next step (over the team's pick, if any)."""
    code = _actor_action(session, "force", actor, action)
    needs_reason("force", why)
    if not session.model.agent_of(actor).allowed[code, int(session.model.stage[0])]:
        raise CommandError(f"force: {actor}.{action} is not allowed at {session.stage}")
    session.pending.pop(actor, None)
    session.argued.pop(actor, None)
    session.forced[actor] = code
    return _log(session, "force", f"{actor} plays {action} next step", why)


def veto(session: Session, actor: str, action: str, why: str) -> ControlAct:
    """Control forbids `actor` to take `action` this turn: a team must pick again, a policy
    is drawn again without it."""
    code = _actor_action(session, "veto", actor, action)
    needs_reason("veto", why)
    vetoed = session.vetoed.setdefault(actor, set())
    vetoed.add(code)
    if session.shares_without(actor, vetoed).sum() <= 0 and actor not in session.players:
        vetoed.discard(code)
        raise CommandError(f"veto: without {action}, {actor}'s policy gives no action any "
                           f"weight at {session.stage}; force a move instead")
    if session.pending.get(actor) == code:
        del session.pending[actor]  # the team picks again
    if session.forced.get(actor) == code:
        del session.forced[actor]
    return _log(session, "veto", f"{actor} may not play {action} this turn", why)


def argue(session: Session, actor: str, text: str) -> None:
    """A team states a move outside its actor's repertoire; Control rules on it next."""
    session.check_running()
    check_players(session.scenario, [actor], what="argue", error=CommandError)
    if actor not in session.players:
        raise CommandError(f"argue: {actor} is not played (--as); a team argues for its own "
                           "actor")
    if not text.strip():
        raise CommandError("argue needs the move after --, e.g. argue warsaw -- close the "
                           "rail crossing at Kuznica")
    session.pending.pop(actor, None)
    session.argued[actor] = Argued(actor, text.strip(), session.t)
    session.log.append(f"{actor} argues a move outside its repertoire at "
                       f"{session.when(session.t)}: {text.strip()}")


def rule(session: Session, words: list[str], why: str) -> ControlAct:
    """Control's ruling on an argued move: `[ACTOR] p=P [tension=+X] [VAR=+X] [FLAG=on]
    [stage=[LADDER:]STAGE] [event=NAME] [as=ACTION]`."""
    session.check_running()
    needs_reason("rule", why)
    if words and "=" not in words[0]:
        actor, words = words[0], words[1:]
    elif len(session.argued) == 1:
        actor = next(iter(session.argued))
    else:
        raise CommandError("rule ACTOR p=P ...: name the actor whose argued move this rules "
                           f"on (argued now: {', '.join(session.argued) or 'none'})")
    if actor not in session.argued:
        raise CommandError(f"rule: {actor} has argued no move this turn (argue {actor} -- ...)")
    terms = dict(_term(w) for w in words)
    if "p" not in terms:
        raise CommandError("rule needs the probability of success, p=P with P from 0 to 1")
    p = finite_number(terms.pop("p"), "rule p")
    if not 0.0 <= p <= 1.0:
        raise CommandError(f"rule p: a probability is from 0 to 1, got {p:g}")
    stand_in = terms.pop("as", None)
    if stand_in is not None:
        code = _actor_action(session, "rule as", actor, stand_in)
        if not session.model.agent_of(actor).allowed[code, int(session.model.stage[0])]:
            raise CommandError(f"rule as={stand_in}: not allowed at {session.stage}")
    effects = tuple(terms.items())
    snapshot = session.model.snapshot()
    try:  # each effect is checked now, on a copy of the state put back at once
        for kind, value in effects:
            apply_change(session, kind, value)
    finally:
        session.model.restore(snapshot)
    move = session.argued[actor]
    move.p, move.effects, move.stand_in, move.why = p, effects, stand_in, why.strip()
    return _log(session, "rule", f"{actor}'s argued move ({move.text}): {move.terms()}", why)


def _term(word: str) -> tuple[str, str]:
    key, sep, value = word.partition("=")
    if not sep or not key or not value:
        raise CommandError(f"rule: cannot read {word!r}; terms are KEY=VALUE, e.g. p=0.6 "
                           "tension=+1 stage=border_incident as=hold")
    return key, value


def order(session: Session, actor: str, action: str, why: str) -> ControlAct:
    """A standing order: `actor` repeats `action` on the steps its team does not pick
    (`off` cancels it)."""
    check_players(session.scenario, [actor], what="order", error=CommandError)
    if actor not in session.players:
        raise CommandError(f"order: {actor} is not played (--as); force moves it instead")
    needs_reason("order", why)
    if action == "off":
        if session.orders.pop(actor, None) is None:
            raise CommandError(f"order: {actor} has no standing order")
        return _log(session, "order", f"{actor}'s standing order cancelled", why)
    session.orders[actor] = _actor_action(session, "order", actor, action)
    return _log(session, "order", f"{actor} plays {action} whenever its team does not pick "
                "(where it is allowed)", why)


def _log(session: Session, power: str, what: str, why: str) -> ControlAct:
    act = ControlAct(session.t, power, what, why.strip())
    session.log.append(act)
    return act


def event_name(scenario: Scenario, text: str) -> str:
    """A scenario event by its number (from 1) or its name (case-insensitive)."""
    names = [e.name for e in scenario.events]
    if not names:
        raise CommandError("this scenario has no events")
    number = whole_number(text)
    if number is not None and 1 <= number <= len(names):
        return names[number - 1]
    for name in names:
        if name.lower() == text.lower():
            return name
    listed = "; ".join(f"{i} {n}" for i, n in enumerate(names, start=1))
    raise CommandError(f"no event {text!r} (events: {listed})")
