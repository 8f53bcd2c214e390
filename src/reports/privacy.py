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
import secrets
from collections.abc import Mapping, Sequence
from fractions import Fraction

_system = secrets.SystemRandom()


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
    while secrets.randbelow(den * k) < num:  # Bernoulli(num / (den k))
        k += 1
    return k % 2 == 1


def bernoulli_exp(gamma: Fraction) -> bool:
    """True with probability exactly exp(-gamma), for gamma >= 0."""
    return _bernoulli_exp(gamma.numerator, gamma.denominator)


def discrete_laplace(scale: Fraction) -> int:
    """One sample of the discrete Laplace distribution with this scale (> 0)."""
    t, s = scale.numerator, scale.denominator  # scale = t / s
    while True:
        u = secrets.randbelow(t)
        if not _bernoulli_exp(u, t):
            continue
        v = 0
        while _bernoulli_exp(1, 1):
            v += 1
        y = (u + t * v) // s
        negative = secrets.randbelow(2) == 1
        if negative and y == 0:
            continue
        return -y if negative else y


def noisy(value: int, sensitivity: int, epsilon: Fraction) -> int:
    """`value` released epsilon-DP when one case moves it (and the others released with it) by at most
    `sensitivity` in all."""
    return value + discrete_laplace(Fraction(sensitivity) / epsilon)


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
