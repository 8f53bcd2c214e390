"""The noise that makes published aggregates differentially private, sampled exactly.

Every count a report publishes is its true value plus discrete Laplace noise (the two-sided geometric
distribution: P(z) proportional to exp(-|z| / scale)); every median is chosen by the exponential mechanism
(permute-and-flip) among the bins of a fixed grid. Both are sampled with integer arithmetic only, from the
operating system's random source: no floating-point sampler whose low bits could leak the true value
(Mironov 2012), and no seedable generator an attacker could replay.

- `discrete_laplace` is Algorithm 2 of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential
  Privacy" (2020), with their Algorithm 1 for Bernoulli(exp(-gamma)).
- `permute_and_flip` is McKenna and Sheldon, "Permute-and-Flip: A new mechanism for differentially private
  selection" (2020): epsilon-DP, and never worse than the exponential mechanism.
- `row_threshold` is the release threshold of a row whose very existence depends on the data (stability-based
  histograms: Korolova et al. 2009, Bun, Nissim and Stemmer 2016): a row one case can create is published
  with probability at most delta.
"""

from __future__ import annotations

import math
import os
import random
import struct
import threading
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import NoReturn


class _Bits(threading.local):
    """One thread's random bits not yet used: 64-bit words of a 4 KiB block from the kernel, and what is
    left of the word being spent."""

    def __init__(self) -> None:
        self.words: list[int] = []
        self.word = 0
        self.left = 0


class _OsRandom(random.Random):
    """The operating system's random source, read 4 KiB at a time and spent a few bits at a draw:
    `secrets.SystemRandom` asks the kernel for every draw, and a report's thousands of draws spent half its
    time in that system call (a profile of the case report by four dimensions). The kernel's bytes, fewer
    calls: nothing is seeded or can be replayed. Each thread spends its own block, and a forked child drops
    what its parent had read, so two processes never draw the same bits."""

    def __init__(self) -> None:
        self._bits = _Bits()
        super().__init__()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._bits = _Bits()

    def seed(self, *args: object, **kwargs: object) -> None:
        """Nothing to seed: every bit comes from the kernel."""

    def getstate(self, *args: object, **kwargs: object) -> NoReturn:
        raise NotImplementedError("the operating system's random source has no state to save")

    def setstate(self, *args: object, **kwargs: object) -> NoReturn:
        raise NotImplementedError("the operating system's random source has no state to restore")

    def getrandbits(self, k: int) -> int:
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        if k > 64:
            return int.from_bytes(os.urandom((k + 7) // 8), "big") >> (-k % 8)
        bits = self._bits
        if k > bits.left:  # what is left of the word is dropped: every bit is independent of the others
            if not bits.words:
                bits.words = list(struct.unpack("<512Q", os.urandom(4096)))
            bits.word = bits.words.pop()
            bits.left = 64
        drawn = bits.word & ((1 << k) - 1)
        bits.word >>= k
        bits.left -= k
        return drawn

    def random(self) -> float:
        return self.getrandbits(53) * 2.0**-53

    def randbelow(self, n: int) -> int:
        """Uniform on 0 .. n-1 (n > 0), by rejection as `secrets.randbelow`: exact, whatever n is."""
        if n <= 0:
            raise ValueError("the upper bound must be positive")
        bits = n.bit_length()
        drawn = self.getrandbits(bits)
        while drawn >= n:
            drawn = self.getrandbits(bits)
        return drawn


_system = _OsRandom()


def exact(value: float) -> Fraction:
    """A setting (epsilon, a share of it) as a small exact fraction: 0.5 is 1/2, 0.1 is 1/10."""
    return Fraction(value).limit_denominator(1_000_000)


def _bernoulli_exp(num: int, den: int) -> bool:
    """True with probability exactly exp(-num/den), num/den >= 0: integers only (a report draws thousands of
    these, and Fraction arithmetic made them ten times slower)."""
    while num > den:
        if not _bernoulli_exp(1, 1):
            return False
        num -= den
    k = 1
    while _system.randbelow(den * k) < num:  # Bernoulli(num / (den k))
        k += 1
    return k % 2 == 1


def bernoulli_exp(gamma: Fraction) -> bool:
    """True with probability exactly exp(-gamma), for gamma >= 0."""
    return _bernoulli_exp(gamma.numerator, gamma.denominator)


def discrete_laplace(scale: Fraction) -> int:
    """One sample of the discrete Laplace distribution with this scale (> 0)."""
    t, s = scale.numerator, scale.denominator  # scale = t / s
    while True:
        u = _system.randbelow(t)
        if not _bernoulli_exp(u, t):
            continue
        v = 0
        while _bernoulli_exp(1, 1):
            v += 1
        y = (u + t * v) // s
        negative = _system.randbelow(2) == 1
        if negative and y == 0:
            continue
        return -y if negative else y


def noisy(value: int, sensitivity: int, epsilon: Fraction) -> int:
    """`value` released epsilon-DP when one case moves it (and the others released with it) by at most
    `sensitivity` in all."""
    return value + discrete_laplace(Fraction(sensitivity) / epsilon)


def _geometric_tail(t: int, s: int) -> int:
    """How many times Bernoulli(q), q = exp(-s/t), comes up before it fails: P(g) = (1 - q) q^g."""
    drawn = 0
    while _bernoulli_exp(s, t):
        drawn += 1
    return drawn


def reaches(value: int, sensitivity: int, epsilon: Fraction, bar: int) -> int | None:
    """`noisy(value, sensitivity, epsilon)` when it reaches `bar`, else None: the same distribution, drawn
    with a few random bits where `value` is below the bar, as most of a fine report's rows are. The noise
    reaches m = bar - value >= 1 with probability q^m / (1 + q) (q = exp(-1/scale)): Bernoulli(q^m) and
    Bernoulli(1 / (1 + q)), the latter as an even number of Bernoulli(q) successes before a failure; and
    past m the discrete Laplace tail has no memory, so what it goes beyond m by is geometric."""
    m = bar - value
    if m <= 0:
        released = noisy(value, sensitivity, epsilon)
        return released if released >= bar else None
    scale = Fraction(sensitivity) / epsilon
    t, s = scale.numerator, scale.denominator  # q = exp(-s/t)
    if not _bernoulli_exp(m * s, t) or _geometric_tail(t, s) % 2 == 1:
        return None
    return bar + _geometric_tail(t, s)


def below(value: int, sensitivity: int, epsilon: Fraction, bar: int) -> int:
    """`noisy(value, sensitivity, epsilon)` given that it stays below `bar` (a cell of a row another cell
    of which reached it, when this one did not): drawn until it does."""
    while True:
        released = noisy(value, sensitivity, epsilon)
        if released < bar:
            return released


def row_threshold(sensitivity: int, epsilon: Fraction, delta: float) -> int:
    """The least noisy count at which a row not known in advance may be published: a row that one case
    creates holds at most `sensitivity`, and its noisy count (noise as `noisy`) reaches the threshold with
    probability at most `delta`. P(Z >= m) = q^m / (1 + q) with q = exp(-1/scale)."""
    scale = sensitivity / float(epsilon)
    q = math.exp(-1 / scale)
    return sensitivity + max(1, math.ceil(scale * math.log(1 / (delta * (1 + q)))))


def noise_floor(sensitivity: int, epsilon: Fraction, chance: float) -> int:
    """The least count that noise alone (as `noisy`) reaches with probability at most `chance` (a rule on
    noisy values only, so it costs no privacy)."""
    scale = sensitivity / float(epsilon)
    q = math.exp(-1 / scale)
    return max(1, math.ceil(scale * math.log(1 / (chance * (1 + q)))))


def permute_and_flip(utilities: Sequence[int], epsilon: Fraction, sensitivity: int = 1) -> int:
    """The index of one candidate, each chosen with a probability that grows with its utility; epsilon-DP when
    one case changes each utility by at most `sensitivity`."""
    best = max(utilities)
    order = list(range(len(utilities)))
    _system.shuffle(order)
    for index in order:  # the best candidate is always taken: one pass ends it
        if bernoulli_exp(epsilon * (best - utilities[index]) / (2 * sensitivity)):
            return index
    raise AssertionError("permute-and-flip passed its best candidate")


# The grid medians are published on: 0, then 0.5 growing by a quarter each bin (…, 1, 1.25, 1.56, …), up to
# about 30 000 (hours or days). The grid depends on nothing in the data; a median is one bin's midpoint, so
# it is exact to about ±11%.
GRID: tuple[float, ...] = (0.0, *(round(0.5 * 1.25**i, 2) for i in range(50)))


def bin_middle(index: int) -> float:
    """The value published for a median in bin `index` (1-based, as PostgreSQL's `width_bucket` numbers
    them: bin i holds GRID[i-1] <= value < GRID[i]; the last bin holds everything from its lower edge)."""
    if index >= len(GRID):
        return GRID[-1]
    return round((GRID[index - 1] + GRID[index]) / 2, 2)


def median_bin(counts: Mapping[int, int], epsilon: Fraction) -> int:
    """A bin near the median of values counted per bin (`{bin: count}`), epsilon-DP when one case adds or
    removes one value. A bin's utility is minus the larger of the counts below and above it, which one value
    changes by at most 1, and which is least at the median's bin (however its own values lie: an empty
    neighbour does not balance better)."""
    bins = range(1, len(GRID) + 1)
    n = sum(counts.values())
    utilities, below = [], 0
    for b in bins:
        here = counts.get(b, 0)
        utilities.append(-max(below, n - below - here))
        below += here
    return bins[permute_and_flip(utilities, epsilon)]
