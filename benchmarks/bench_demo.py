"""Steps per second of `ladder demo`'s Play, without a browser, on the seed scenario.

    python benchmarks/bench_demo.py                  # speeds 1, 5, 10 and unlimited, 3 repeats
    python benchmarks/bench_demo.py --repeats 1 --outlook-runs 500
    python benchmarks/bench_demo.py --outlook-every-step   # as before: the outlook each step

The same calls the page's timer makes: `sim.workshop.dashboard.autoplay` at each speed,
stepping a fresh `Dashboard` (the room plays warsaw, as the browser test does) and, after
each step, every part of the page as HTML (counter, status, moves, ladder, log, outlook,
batch), as the page draws them. Before the timer starts the page is drawn once, paused (the
outlook from step 0 and the batch are computed then and not timed). Prints the steps per
second at each speed (median of --repeats, with min and max) and the load average before
and after. With --outlook-every-step the board is left paused, so the outlook is computed
after every step, as the page did before Play kept the last one. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

from _child import ROOT, cpu_model

sys.path.insert(0, str(ROOT))

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
SPEEDS = (1, 5, 10, 0)  # 0: as fast as it goes


def draw(board) -> None:
    """Every part of the page, as the Solara page asks for them at each render."""
    board.counter()
    board.status()
    board.players_text()
    for actor in board.session.players:
        board.options(actor)
    board.ladder_html()
    board.log_html()
    board.outlook_html()
    board.batch_html()
    board.odds_note()


def rate(scenario, speed: int, steps: int, outlook_runs: int, playing: bool = True) -> float:
    """Steps per second of one Play of `steps` steps at `speed`; `playing` False draws each
    step as a paused page (the outlook recomputed)."""
    from sim.workshop.dashboard import Dashboard, autoplay

    board = Dashboard(scenario, ["warsaw"], outlook_runs=outlook_runs)
    draw(board)  # the paused page: the outlook from step 0 and the batch
    board.set_playing(True)
    cancel, done = threading.Event(), [0]

    def on_step() -> None:
        if not playing:  # drawn as a paused page: the outlook from this step
            board.set_playing(False)
        draw(board)
        board.set_playing(True)
        done[0] += 1
        if done[0] >= steps:
            cancel.set()

    started = time.perf_counter()
    autoplay(board, speed, cancel, on_step)
    return done[0] / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="about how long each Play lasts at a set speed (default 4)")
    parser.add_argument("--outlook-runs", type=int, default=2000)
    parser.add_argument("--outlook-every-step", action="store_true",
                        help="compute the outlook after every step, as the page did before")
    args = parser.parse_args()

    import sim

    scenario = sim.load_scenario(SCENARIO)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    every = ", recomputed after every step" if args.outlook_every_step else ""
    print(f"{SCENARIO.name}, --as warsaw, outlook {args.outlook_runs:,} runs{every}; "
          f"median of {args.repeats}")
    print(f"{'speed':>12} {'steps':>6} {'steps/s':>8} {'min':>7} {'max':>7}")
    for speed in SPEEDS:
        steps = max(3, round(speed * args.seconds)) if speed else 60
        rates = [rate(scenario, speed, steps, args.outlook_runs, not args.outlook_every_step)
                 for _ in range(args.repeats)]
        label = f"{speed}/s" if speed else "unlimited"
        print(f"{label:>12} {steps:>6} {statistics.median(rates):>8.2f} {min(rates):>7.2f} "
              f"{max(rates):>7.2f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
