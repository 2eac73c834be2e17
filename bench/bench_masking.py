"""Benchmark of the vendor-side masking (SPEC R9.1, R13.1): linear in the text.

Run:  PYTHONPATH=src python bench/bench_masking.py  [--sizes 10000,100000,1000000] [--old-max 20000]

For each hostile input (a long run of word characters, many '@', many digits) and an ordinary message,
prints characters per second of ``accounts.masking.redact`` at every size and the ratio of the time per
character at the largest size to that at the smallest (1.0 = linear). Beside it, in the same run, the
previous e-mail pattern (before the possessive, run-anchored one) on the same text, up to --old-max
characters (it is quadratic: 100,000 characters took about half a minute). Not a test: nothing here
asserts a speed.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from types import SimpleNamespace

from partnerdesk.accounts.masking import redact

OLD_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
PERSONS = [
    SimpleNamespace(name="Franz Huber", phone="08031 55501"),
    SimpleNamespace(name="Maria Petersen", phone="+49 431 5550999"),
]
CUSTOMER = SimpleNamespace(name="Brauerei Huber GmbH", name_revealed=False, pseudonym="P02-C0001")
ORDINARY = (
    "Hallo Herr Huber, der VPN-Tunnel bricht nach 3600 s ab (build 4.2.1-20240101, 10.0.0.1). "
    "Bitte an franz@huber.example antworten, Tel.: +49 (0) 8031 55501. Gruß, Maria Petersen\n"
)
INPUTS: dict[str, Callable[[int], str]] = {
    "word run": lambda n: "a" * n,
    "many @": lambda n: "a@" * (n // 2),
    "digits": lambda n: "1" * n,
    "ordinary mail": lambda n: (ORDINARY * (n // len(ORDINARY) + 1))[:n],
}


def _best(function: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--old-max", type=int, default=20_000, help="largest text for the old pattern")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'input':<15} {'chars':>9} {'redact chars/s':>15} {'old e-mail chars/s':>19}")
    for kind, make in INPUTS.items():
        per_char = []
        for n in sizes:
            text = make(n)
            seconds = _best(lambda text=text: redact(text, persons=PERSONS, end_customer=CUSTOMER))
            per_char.append(seconds / n)
            old = ""
            if n <= args.old_max:
                old_seconds = _best(lambda text=text: OLD_EMAIL.sub("[e-mail]", text), repeat=1)
                old = f"{n / old_seconds:,.0f}"
            print(f"{kind:<15} {n:>9,} {n / seconds:>15,.0f} {old:>19}")
        print(
            f"{'':<15} time per char at {sizes[-1]:,} / at {sizes[0]:,}: {per_char[-1] / per_char[0]:.2f} (1 = linear)"
        )
    # The old pattern's growth, measured here: ten times the text, how many times the time?
    small, large = args.old_max // 10, args.old_max
    old_small = _best(lambda: OLD_EMAIL.sub("", "a" * small), repeat=1)
    old_large = _best(lambda: OLD_EMAIL.sub("", "a" * large), repeat=1)
    new_small = _best(lambda: redact("a" * small, persons=PERSONS, end_customer=CUSTOMER))
    new_large = _best(lambda: redact("a" * large, persons=PERSONS, end_customer=CUSTOMER))
    print(
        f"word run {small:,} -> {large:,} chars: old e-mail pattern x{old_large / old_small:.0f} time, "
        f"redact x{new_large / new_small:.1f} time"
    )


if __name__ == "__main__":
    main()
