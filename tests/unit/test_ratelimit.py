from itertools import pairwise

from outbound.messages.ratelimit import MARGIN_SECONDS, RateLimit


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_releases_are_spaced_and_no_window_of_a_second_holds_more_than_the_rate() -> None:
    clock = FakeClock()
    limit = RateLimit(5, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(23):
        limit.wait()
        times.append(clock.now)
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) >= 0.2 - 1e-9
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= 5
    assert times[-1] - times[0] <= 22 * (0.2 + MARGIN_SECONDS / 5) + 1e-9  # nearly the rate


def test_a_late_caller_does_not_get_a_burst_to_catch_up() -> None:
    clock = FakeClock()
    limit = RateLimit(10, clock=clock, sleep=clock.sleep)
    limit.wait()
    clock.now += 5  # nobody sent for five seconds
    times = []
    for _ in range(3):
        limit.wait()
        times.append(clock.now)
    assert times[1] - times[0] >= 0.1 - 1e-9 and times[2] - times[1] >= 0.1 - 1e-9
