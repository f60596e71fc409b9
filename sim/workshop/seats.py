"""Team seats with hidden information: the game state behind `ladder demo --seats`.

A `Table` holds one `Session` (sim/workshop/session.py) and one seat per played actor. Each
seat and Control has its own random token. A seat sends its move for the turn (with a
one-line reason); the move stays hidden from the other seats until the turn is resolved,
which happens when every seat has sent one, or when Control resolves it (seats without a
move then follow their scenario policy). A seat sees what its actor perceives, its legal
moves and its own history; the true stage and the outlook only when Control shares them.
Control sees everything and types the commands of `ladder play` (sim/workshop/commands.py).

Every method takes the table's lock and returns plain, JSON-ready values; the HTTP layer is
sim/workshop/seats_server.py.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..analyses.outlook import ODDS, Outlook
from ..errors import InputError
from . import control
from .commands import parse_command, run_command
from .entries import Position
from .session import CommandError, Option, Session, Turn

SEATS_NEEDED = "--seats needs at least one --as ACTOR: one seat per played actor"
SHARES = ("outlook", "state")
MAX_WHY = 300  # characters of a seat's reason
LAST_TURNS = 12  # turns shown on Control's view
LAST_EVENTS = 40  # lines of the table's own record kept for Control's view


@dataclass(frozen=True)
class Move:
    """A seat's hidden move for this turn."""

    option: Option
    why: str


class Table:
    """One session played from seats: one per played actor, and Control.

    Args:
        session: the session; its played actors are the seats (at least one).

    Raises:
        InputError: a session without played actors (SEATS_NEEDED).
    """

    def __init__(self, session: Session):
        if not session.players:
            raise InputError(SEATS_NEEDED)
        self.session = session
        self.seats: list[str] = list(session.players)
        self.tokens = {actor: secrets.token_urlsafe(16) for actor in self.seats}
        self.control_token = secrets.token_urlsafe(16)
        self.moves: dict[str, Move] = {}  # this turn's hidden moves
        self.shares = dict.fromkeys(SHARES, False)
        self.lock = threading.RLock()
        self.record: list[str] = []  # what happened at the table, for Control and the log
        self.after: dict[int, tuple[Turn, dict]] = {}  # id(turn) -> (turn, what we noted)
        self._t = session.t  # the step the moves are for
        self.notices: dict[str, str] = {}  # seat -> why its move was set aside
        self.echo: Callable[[str], None] | None = None  # also tell each record line here

    # -- who is asking ----------------------------------------------------------------------
    def seat_of(self, token: str) -> str | None:
        """The seat a token opens, or None (compared in constant time)."""
        given = token.encode()
        found = None
        for actor, mine in self.tokens.items():
            if secrets.compare_digest(given, mine.encode()):
                found = actor
        return found

    def is_control(self, token: str) -> bool:
        """Whether `token` is Control's (compared in constant time)."""
        return secrets.compare_digest(token.encode(), self.control_token.encode())

    # -- a seat ---------------------------------------------------------------------------
    def seat_view(self, actor: str) -> dict:
        """What one seat may see: its actor, the step, what it perceives, its legal moves,
        its own pending move and history; the true state and the outlook only if shared."""
        with self.lock:
            self._sync()
            s = self.session
            shared_outlook = self.shares["outlook"] and not s.ended
            moves = []
            for o in ([] if s.ended else s.options(actor)):
                move = {"number": o.number, "action": o.action.id,
                        "description": o.action.description}
                if shared_outlook:
                    move["share"] = o.share
                moves.append(move)
            mine = self._pending(actor)
            view = {"actor": actor, "name": s.scenario.actor(actor).name,
                    "scenario": s.scenario.title, **self._clock(),
                    "perceived": s.perceived(actor), "moves": moves,
                    "submitted": mine is not None,
                    "pending": mine,
                    "notice": self.notices.get(actor),
                    "history": self._history(actor), "shared": dict(self.shares)}
            if self.shares["state"]:
                view["state"] = self._state()
            if shared_outlook:
                view["outlook"] = outlook_json(s.outlook())
            return view

    def submit(self, actor: str, action: str, why: str = "") -> dict:
        """Record a seat's move for this turn, hidden from the other seats (sending again
        replaces it); resolve the turn once every seat has sent one.

        Raises:
            CommandError: the run has ended, or `action` is no legal move now (the message
                lists the legal ones and does not name the true stage).
        """
        with self.lock:
            self._sync()
            s = self.session
            if s.ended:
                raise CommandError("the run has ended: there are no more moves")
            if not isinstance(action, str) or not action.strip():
                raise CommandError("a move needs its action: a number or an action id")
            options = s.options(actor)
            try:
                option = s.option(actor, action.strip())
            except CommandError:  # its text names the true stage, which a seat may not see
                legal = ", ".join(f"{o.number} {o.action.id}" for o in options)
                raise CommandError(f"{action.strip()[:40]!r} is not a legal move for {actor} "
                                   f"now (legal now: {legal})") from None
            self.moves[actor] = Move(option, one_line(why))
            s.argued.pop(actor, None)  # a move replaces an argued one
            self.notices.pop(actor, None)
            self._note(f"{s.when(s.t)}: {actor} sent its move")
            resolved = self._ready()
            if resolved:
                self._resolve()
            return {"accepted": True, "action": option.action.id, "resolved": resolved,
                    "step": s.t}

    def argue(self, actor: str, text: str) -> dict:
        """A seat argues a move outside its repertoire for this turn (hidden from the other
        seats, as a move is); the turn waits for Control's ruling (`rule ACTOR p=P ...`).

        Raises:
            CommandError: the run has ended, or no statement of the move.
        """
        with self.lock:
            self._sync()
            s = self.session
            if s.ended:
                raise CommandError("the run has ended: there are no more moves")
            control.argue(s, actor, one_line(text))
            self.moves.pop(actor, None)
            self.notices.pop(actor, None)
            self._note(f"{s.when(s.t)}: {actor} argued a move outside its repertoire; "
                       f"Control rules on it")
            return {"accepted": True, "argued": s.argued[actor].text, "resolved": False,
                    "step": s.t}

    def _ready(self) -> bool:
        """Every seat has sent a move or argued one, and Control has ruled on each argued."""
        s = self.session
        sent = set(self.moves) | set(s.argued)
        return sent >= set(self.seats) and all(a.p is not None for a in s.argued.values())

    def _pending(self, actor: str) -> dict | None:
        """A seat's move for this turn as its own view and Control's show it."""
        argued = self.session.argued.get(actor)
        if argued is not None:
            return {"action": None, "argued": argued.text, "ruling": argued.terms(),
                    "why": ""}
        return self._move(self.moves[actor]) if actor in self.moves else None

    # -- Control ----------------------------------------------------------------------------
    def control_view(self) -> dict:
        """Everything: the true state, each seat's status and hidden move, the outlook, the
        last turns (who did what), the shares and the table's record."""
        with self.lock:
            self._sync()
            s = self.session
            seats = [{"actor": a, "name": s.scenario.actor(a).name,
                      "submitted": self._pending(a) is not None,
                      "move": self._pending(a),
                      "path": f"/seat/{self.tokens[a]}"} for a in self.seats]
            turns = [self._entry_json(p) for p in s.line[1:]]
            return {"scenario": s.scenario.title, "id": s.scenario.id, **self._clock(),
                    "state": self._state(), "seats": seats,
                    "outlook": None if s.ended else outlook_json(s.outlook()),
                    "turns": turns[-LAST_TURNS:][::-1], "shares": dict(self.shares),
                    "record": self.record[-LAST_EVENTS:]}

    def control_command(self, text: str) -> str:
        """Carry out one command of `ladder play` (`?` lists them) and return its text. A
        move is the seats' to send, and the server stops with Ctrl-C, so a move and `q` are
        refused; a command that changes the position (n, u, r) drops this turn's moves.

        Raises:
            CommandError: a command that cannot be read or carried out here.
        """
        with self.lock:
            self._sync()
            s = self.session
            if not isinstance(text, str):
                raise CommandError("a command is text; ? lists the commands")
            actions = {a for p in s.players for a in s.scenario.actor(p).action_ids}
            kind = parse_command(text, actions).kind
            if kind == "pick":
                raise CommandError("moves come from the seats; Resolve turn plays the seats "
                                   "without a move by their scenario policy")
            out = run_command(s, text, width=100)
            self._note(f"Control: {' '.join(text.split())[:80]}")
            self._sync()
            if kind == "rule" and self._ready():  # the last thing the turn waited for
                self._resolve()
                out += f"\n  every seat is in: the turn is resolved; now at {s.when(s.t)}"
            return out

    def resolve(self) -> dict:
        """Control resolves the turn now: seats without a move follow their policy.

        Raises:
            CommandError: the run has ended.
        """
        with self.lock:
            self._sync()
            self.session.check_running()
            self._resolve()
            return {"resolved": True, "step": self.session.t}

    def share(self, what: str, on: bool) -> dict:
        """Share (or stop sharing) the outlook or the true state with every seat.

        Raises:
            CommandError: `what` is neither "outlook" nor "state", or `on` is no boolean.
        """
        with self.lock:
            if what not in SHARES:
                raise CommandError(f"share what? {what!r}: one of {', '.join(SHARES)}")
            if not isinstance(on, bool):
                raise CommandError(f"share {what}: on is true or false, got {on!r}")
            self.shares[what] = on
            self._note(f"Control {'shares' if on else 'stops sharing'} the {what}")
            return {"shares": dict(self.shares)}

    # -- inside -----------------------------------------------------------------------------
    def _resolve(self) -> None:
        s = self.session
        for actor, move in self.moves.items():
            s.choose(actor, move.option.action.id, why=move.why)
        step = s.t
        try:
            s.play_turn()
        except CommandError:  # e.g. an argued move Control has not ruled on yet
            for actor in self.moves:
                s.pending.pop(actor, None)
                s.reasons.pop(actor, None)
            raise
        missing = [a for a in self.seats if a not in self.moves]
        self._note(f"{s.when(step)} resolved by Control: {', '.join(missing)} followed "
                   "the scenario policy" if missing
                   else f"{s.when(step)} resolved: every seat sent a move")
        self.moves = {}
        self._sync()

    def _sync(self) -> None:
        """Catch up with the session: note what each seat perceives after a turn not yet
        noted; drop this turn's moves when the step changed under them (a command of
        Control's: n, u, r), and any move that Control's change made illegal (a veto)."""
        s = self.session
        last = s.line[-1].turn
        if last is not None:
            kept = self.after.setdefault(id(last), (last, {}))[1]
            if "perceived" not in kept:
                kept["perceived"] = {a: s.perceived(a) for a in self.seats}
        if s.t != self._t:
            if self.moves:
                self._note(f"the position changed to {s.when(s.t)}: the moves sent for the "
                           f"turn before ({', '.join(self.moves)}) were dropped")
            for actor in self.moves:
                self.notices[actor] = ("Control moved the game on before your move was "
                                       "played: it was set aside")
            self.moves, self._t = {}, s.t
        for actor, move in list(self.moves.items()):
            now = [] if s.ended else s.options(actor)
            same = next((o for o in now if o.code == move.option.code), None)
            if same is None:
                del self.moves[actor]
                self.notices[actor] = (f"your move {move.option.action.id} is no longer "
                                       "allowed (Control's decision): choose again")
                self._note(f"{actor}'s move {move.option.action.id} is no longer legal: "
                           f"{actor} chooses again")
            else:  # numbered again when Control vetoed another move
                self.moves[actor] = Move(same, move.why)

    def _noted(self, turn: Turn) -> dict:
        return self.after.get(id(turn), (turn, {}))[1]

    def _history(self, actor: str) -> list[dict]:
        out = []
        for pos in self.session.line[1:]:
            turn = pos.turn
            if turn is None:  # an act of Control's, which the seats do not see
                continue
            out.append({"step": turn.step, "when": self.session.when(turn.step),
                        "move": turn.note.actions[actor], "how": turn.how.get(actor, "policy"),
                        "why": turn.reasons.get(actor, ""),
                        "perceived": self._noted(turn).get("perceived", {}).get(actor)})
        return out

    def _entry_json(self, pos: Position) -> dict:
        """A turn of the line (who did what), or an act of Control's, for Control's view."""
        s, turn = self.session, pos.turn
        if turn is None:
            act = pos.act
            return {"step": act.step if act else s.t, "when": s.when(act.step if act else s.t),
                    "control": act.power if act else "", "what": act.what if act else "",
                    "why": act.why if act else ""}
        return {"step": turn.step, "when": s.when(turn.step),
                "actions": dict(turn.note.actions), "how": dict(turn.how),
                "why": dict(turn.reasons), "events": list(turn.note.events),
                "stage_before": turn.stage_before, "stage_after": turn.stage_after,
                "stage": turn.why}

    def _clock(self) -> dict:
        s = self.session
        date = s.scenario.clock.date_of(s.t)
        return {"step": s.t, "horizon": s.model.horizon, "when": s.when(s.t),
                "date": date.isoformat() if date else None, "ended": s.ended}

    def _state(self) -> dict:
        s = self.session
        return {"stage": s.stage, "level": s.level, "reads": s.reads}

    def _move(self, move: Move) -> dict:
        return {"number": move.option.number, "action": move.option.action.id,
                "why": move.why}

    def _note(self, line: str) -> None:
        self.record.append(line)
        if self.echo is not None:
            self.echo(line)


def one_line(why: object) -> str:
    """A seat's reason as one line of at most MAX_WHY characters.

    Raises:
        CommandError: a reason that is not text.
    """
    if why is None:
        return ""
    if not isinstance(why, str):
        raise CommandError("why is text: one line saying why")
    return " ".join(why.split())[:MAX_WHY]


def outlook_json(f: Outlook) -> dict:
    """An outlook as JSON: n, the steps, the caveat and per stage p with its Wilson 95%
    interval (highest stage first)."""
    rows = [{"stage": r["stage"], "p": r["p"],  # lo as 1.7e-18 at p = 0: rounding
             "lo": min(r["lo"], r["p"]), "hi": max(r["hi"], r["p"]),
             "count": r["count"], "reached": bool(r["already"])} for r in f.rows()]
    return {"n": f.n, "step": f.step, "horizon": f.horizon, "note": ODDS,
            "interval": "Wilson 95%", "rows": rows[::-1]}
