"""Assignment 5's corpus, part search: right and wrong log-uniform sampling, random
and grid configurations, coarse-to-fine narrowing, and the part's sample
submissions (joined by a5_practice.py).

Every variant is self-contained (``np``, and ``math`` or ``itertools`` imported
inside): its source is pasted into an answer cell.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------------ log_uniform: right

def log_uniform_exp(low, high, size, rng):
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got high={high}, low={low}")
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def log_uniform_pow10(low, high, size, rng):
    if not low > 0:
        raise ValueError("low must be positive")
    if not high > low:
        raise ValueError("high must be larger than low")
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size)


def log_uniform_scaled(low, high, size, rng):
    if low <= 0 or high <= low:
        raise ValueError(f"need 0 < low < high, got low={low}, high={high}")
    a, b = np.log(low), np.log(high)
    return np.exp(a + (b - a) * rng.random(size))


def log_uniform_loop(low, high, size, rng):
    import math
    if low <= 0:
        raise ValueError("low <= 0")
    if high <= low:
        raise ValueError("high <= low")
    return np.array([math.exp(rng.uniform(math.log(low), math.log(high)))
                     for _ in range(size)])


def log_uniform_base2(low, high, size, rng):
    if low <= 0:
        raise ValueError(f"low={low} is not positive")
    if high <= low:
        raise ValueError(f"high={high} is not above low")
    return np.exp2(rng.uniform(np.log2(low), np.log2(high), size=size))


# ------------------------------------------------------------ log_uniform: wrong

def log_uniform_linear(low, high, size, rng):
    """Uniform on the linear scale."""
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got {high}")
    return rng.uniform(low, high, size=size)


def log_uniform_from_zero(low, high, size, rng):
    """The exponent drawn from [0, log high): the range starts at 1."""
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got {high}")
    return np.exp(rng.uniform(0, np.log(high), size=size))


def log_uniform_exponents(low, high, size, rng):
    """Returns the exponents, not the values."""
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got {high}")
    return rng.uniform(np.log10(low), np.log10(high), size=size)


def log_uniform_mixed_bases(low, high, size, rng):
    """Natural logarithms undone with 10 **."""
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got {high}")
    return 10.0 ** rng.uniform(np.log(low), np.log(high), size=size)


def log_uniform_np_random(low, high, size, rng):
    """np.random's global state instead of rng."""
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got {high}")
    return np.exp(np.random.uniform(np.log(low), np.log(high), size=size))


def log_uniform_own_generator(low, high, size, rng):
    """A generator of its own, seeded 0, whatever rng."""
    if low <= 0:
        raise ValueError(f"low must be > 0, got {low}")
    if high <= low:
        raise ValueError(f"high must be > low, got {high}")
    own = np.random.default_rng(0)
    return np.exp(own.uniform(np.log(low), np.log(high), size=size))


def log_uniform_no_checks(low, high, size, rng):
    """Right values, but raises nothing on a bad range."""
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def log_uniform_vague_error(low, high, size, rng):
    """Raises, but the message names no argument."""
    if low <= 0 or high <= low:
        raise ValueError("invalid range")
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


# --------------------------------------------------------- random_configs: right

def random_configs_per_trial(space, num_trials, rng):
    configs = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if spec[0] == "log":
                config[name] = float(np.exp(rng.uniform(np.log(spec[1]), np.log(spec[2]))))
            elif spec[0] == "linear":
                config[name] = float(rng.uniform(spec[1], spec[2]))
            else:
                config[name] = spec[1][rng.integers(len(spec[1]))]
        configs.append(config)
    return configs


def random_configs_columns(space, num_trials, rng):
    columns = {}
    for name, spec in space.items():
        kind = spec[0]
        if kind == "log":
            columns[name] = 10 ** rng.uniform(np.log10(spec[1]), np.log10(spec[2]), num_trials)
        elif kind == "linear":
            columns[name] = spec[1] + (spec[2] - spec[1]) * rng.random(num_trials)
        elif kind == "choice":
            options = list(spec[1])
            columns[name] = [options[i] for i in rng.integers(0, len(options), num_trials)]
        else:
            raise ValueError(f"unknown kind {kind!r} for {name}")
    return [{name: columns[name][i] for name in space} for i in range(num_trials)]


def random_configs_choice(space, num_trials, rng):
    def draw(spec):
        if spec[0] == "log":
            lo, hi = np.log(spec[1]), np.log(spec[2])
            return np.exp(rng.uniform(lo, hi))
        if spec[0] == "linear":
            return rng.uniform(spec[1], spec[2])
        return spec[1][int(rng.choice(len(spec[1])))]
    return [{name: draw(spec) for name, spec in space.items()} for _ in range(num_trials)]


# --------------------------------------------------------- random_configs: wrong

def random_configs_shared(space, num_trials, rng):
    """One draw per parameter, shared by every trial."""
    config = {}
    for name, spec in space.items():
        if spec[0] == "log":
            config[name] = float(np.exp(rng.uniform(np.log(spec[1]), np.log(spec[2]))))
        elif spec[0] == "linear":
            config[name] = float(rng.uniform(spec[1], spec[2]))
        else:
            config[name] = spec[1][rng.integers(len(spec[1]))]
    return [dict(config) for _ in range(num_trials)]


def random_configs_log_linearly(space, num_trials, rng):
    """'log' parameters drawn uniformly on the linear scale."""
    configs = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if spec[0] in ("log", "linear"):
                config[name] = float(rng.uniform(spec[1], spec[2]))
            else:
                config[name] = spec[1][rng.integers(len(spec[1]))]
        configs.append(config)
    return configs


def random_configs_linear_on_log(space, num_trials, rng):
    """Every numeric parameter, 'linear' ones too, drawn log-uniformly."""
    configs = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if spec[0] in ("log", "linear"):
                config[name] = float(np.exp(rng.uniform(np.log(spec[1]), np.log(spec[2]))))
            else:
                config[name] = spec[1][rng.integers(len(spec[1]))]
        configs.append(config)
    return configs


def random_configs_one_u(space, num_trials, rng):
    """One uniform number per trial, shared by all its parameters."""
    configs = []
    for _ in range(num_trials):
        u = rng.random()
        config = {}
        for name, spec in space.items():
            if spec[0] == "log":
                lo, hi = np.log(spec[1]), np.log(spec[2])
                config[name] = float(np.exp(lo + u * (hi - lo)))
            elif spec[0] == "linear":
                config[name] = spec[1] + u * (spec[2] - spec[1])
            else:
                config[name] = spec[1][int(u * len(spec[1]))]
        configs.append(config)
    return configs


def random_configs_np_random(space, num_trials, rng):
    """np.random's global state instead of rng."""
    configs = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if spec[0] == "log":
                config[name] = float(np.exp(np.random.uniform(np.log(spec[1]),
                                                              np.log(spec[2]))))
            elif spec[0] == "linear":
                config[name] = float(np.random.uniform(spec[1], spec[2]))
            else:
                config[name] = spec[1][np.random.randint(len(spec[1]))]
        configs.append(config)
    return configs


def random_configs_first_option(space, num_trials, rng):
    """A 'choice' parameter always takes its first option."""
    configs = []
    for _ in range(num_trials):
        config = {}
        for name, spec in space.items():
            if spec[0] == "log":
                config[name] = float(np.exp(rng.uniform(np.log(spec[1]), np.log(spec[2]))))
            elif spec[0] == "linear":
                config[name] = float(rng.uniform(spec[1], spec[2]))
            else:
                config[name] = spec[1][0]
        configs.append(config)
    return configs


# ----------------------------------------------------------- grid_configs: right

def grid_configs_geomspace(space, num_trials):
    import itertools
    numeric = [s for s in space.values() if s[0] in ("log", "linear")]
    options = 1
    for spec in space.values():
        if spec[0] == "choice":
            options *= len(spec[1])
    k = 1
    while (k + 1) ** len(numeric) * options <= num_trials:
        k += 1
    axes = []
    for spec in space.values():
        if spec[0] == "log":
            axes.append(np.geomspace(spec[1], spec[2], k))
        elif spec[0] == "linear":
            axes.append(np.linspace(spec[1], spec[2], k))
        else:
            axes.append(list(spec[1]))
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def grid_configs_logspace(space, num_trials):
    import itertools
    import math
    d = sum(spec[0] != "choice" for spec in space.values())
    options = math.prod(len(spec[1]) for spec in space.values() if spec[0] == "choice")
    k = int(round((num_trials / options) ** (1 / d)))
    while k ** d * options > num_trials:
        k -= 1
    while (k + 1) ** d * options <= num_trials:
        k += 1
    axes = {}
    for name, spec in space.items():
        if spec[0] == "log":
            axes[name] = np.logspace(math.log10(spec[1]), math.log10(spec[2]), k)
        elif spec[0] == "linear":
            axes[name] = spec[1] + (spec[2] - spec[1]) * np.arange(k) / (k - 1)
        else:
            axes[name] = spec[1]
    names = list(space)
    return [{n: float(v) if space[n][0] != "choice" else v for n, v in zip(names, combo)}
            for combo in itertools.product(*(axes[n] for n in names))]


def grid_configs_exp_linspace(space, num_trials):
    import itertools
    d = len([1 for s in space.values() if s[0] != "choice"])
    n_opt = int(np.prod([len(s[1]) for s in space.values() if s[0] == "choice"]))
    k = 0
    while (k + 1) ** d * n_opt <= num_trials:
        k += 1
    grid = []
    for spec in space.values():
        if spec[0] == "log":
            grid.append(np.exp(np.linspace(np.log(spec[1]), np.log(spec[2]), k)))
        elif spec[0] == "linear":
            grid.append(np.linspace(spec[1], spec[2], k))
        else:
            grid.append(spec[1])
    keys = list(space)
    return [dict(zip(keys, combo)) for combo in itertools.product(*grid)]


# ----------------------------------------------------------- grid_configs: wrong

def grid_configs_linear_log(space, num_trials):
    """'log' parameters spaced evenly on the linear scale."""
    import itertools
    numeric = [s for s in space.values() if s[0] in ("log", "linear")]
    options = 1
    for spec in space.values():
        if spec[0] == "choice":
            options *= len(spec[1])
    k = 1
    while (k + 1) ** len(numeric) * options <= num_trials:
        k += 1
    axes = [np.linspace(s[1], s[2], k) if s[0] != "choice" else list(s[1])
            for s in space.values()]
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def grid_configs_no_ends(space, num_trials):
    """k values strictly inside each range (the ends left out)."""
    import itertools
    numeric = [s for s in space.values() if s[0] in ("log", "linear")]
    options = 1
    for spec in space.values():
        if spec[0] == "choice":
            options *= len(spec[1])
    k = 1
    while (k + 1) ** len(numeric) * options <= num_trials:
        k += 1
    axes = []
    for spec in space.values():
        if spec[0] == "log":
            axes.append(np.geomspace(spec[1], spec[2], k + 2)[1:-1])
        elif spec[0] == "linear":
            axes.append(np.linspace(spec[1], spec[2], k + 2)[1:-1])
        else:
            axes.append(list(spec[1]))
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def grid_configs_int_root(space, num_trials):
    """k = int(num_trials ** (1 / d)): 64 ** (1 / 3) = 3.9999999999999996 gives 3."""
    import itertools
    d = sum(spec[0] != "choice" for spec in space.values())
    options = 1
    for spec in space.values():
        if spec[0] == "choice":
            options *= len(spec[1])
    k = int((num_trials / options) ** (1 / d))
    axes = []
    for spec in space.values():
        if spec[0] == "log":
            axes.append(np.geomspace(spec[1], spec[2], k))
        elif spec[0] == "linear":
            axes.append(np.linspace(spec[1], spec[2], k))
        else:
            axes.append(list(spec[1]))
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def grid_configs_ceil_root(space, num_trials):
    """k rounded up: over the budget."""
    import itertools
    import math
    d = sum(spec[0] != "choice" for spec in space.values())
    options = math.prod(len(spec[1]) for spec in space.values() if spec[0] == "choice")
    k = math.ceil((num_trials / options) ** (1 / d) - 1e-9)
    axes = []
    for spec in space.values():
        if spec[0] == "log":
            axes.append(np.geomspace(spec[1], spec[2], k))
        elif spec[0] == "linear":
            axes.append(np.linspace(spec[1], spec[2], k))
        else:
            axes.append(list(spec[1]))
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def grid_configs_options_ignored(space, num_trials):
    """k from the numeric parameters alone: the options multiply it over the budget."""
    import itertools
    d = sum(spec[0] != "choice" for spec in space.values())
    k = 1
    while (k + 1) ** d <= num_trials:
        k += 1
    axes = []
    for spec in space.values():
        if spec[0] == "log":
            axes.append(np.geomspace(spec[1], spec[2], k))
        elif spec[0] == "linear":
            axes.append(np.linspace(spec[1], spec[2], k))
        else:
            axes.append(list(spec[1]))
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def grid_configs_reversed_order(space, num_trials):
    """The right grid, with the first key varying fastest."""
    import itertools
    names = list(space)[::-1]
    d = sum(space[n][0] != "choice" for n in names)
    options = 1
    for n in names:
        if space[n][0] == "choice":
            options *= len(space[n][1])
    k = 1
    while (k + 1) ** d * options <= num_trials:
        k += 1
    axes = []
    for n in names:
        spec = space[n]
        if spec[0] == "log":
            axes.append(np.geomspace(spec[1], spec[2], k))
        elif spec[0] == "linear":
            axes.append(np.linspace(spec[1], spec[2], k))
        else:
            axes.append(list(spec[1]))
    return [dict(zip(names, values)) for values in itertools.product(*axes)]


# ----------------------------------------------------------- narrow_space: right

def narrow_space_sorted(space, results, keep=0.25):
    import math
    n_best = math.ceil(keep * len(results))
    best = sorted(results, key=lambda r: r[1], reverse=True)[:n_best]
    new = {}
    for name, spec in space.items():
        values = [config[name] for config, _ in best]
        if spec[0] == "choice":
            new[name] = ("choice", tuple(o for o in spec[1] if o in values))
        else:
            new[name] = (spec[0], max(spec[1], min(values)), min(spec[2], max(values)))
    return new


def narrow_space_argsort(space, results, keep=0.25):
    scores = np.array([score for _, score in results])
    n_best = int(np.ceil(keep * len(results)))
    best = [results[i][0] for i in np.argsort(-scores)[:n_best]]
    new = {}
    for name, spec in space.items():
        if spec[0] == "choice":
            used = []
            for config in best:
                if config[name] not in used:
                    used.append(config[name])
            new[name] = ("choice", used)
        else:
            values = np.array([config[name] for config in best])
            new[name] = (spec[0], float(values.min()), float(values.max()))
    return new


def narrow_space_argpartition(space, results, keep=0.25):
    import math
    n = len(results)
    m = math.ceil(keep * n)
    scores = np.array([s for _, s in results])
    top = np.argpartition(scores, n - m)[n - m:]
    new = {}
    for name, spec in space.items():
        vals = [results[i][0][name] for i in top]
        if spec[0] == "choice":
            new[name] = ("choice", [o for o in spec[1] if o in vals])
        else:
            new[name] = (spec[0], min(vals), max(vals))
    return new


# ----------------------------------------------------------- narrow_space: wrong

def narrow_space_worst(space, results, keep=0.25):
    """Sorted the wrong way: keeps the worst trials."""
    import math
    n_best = math.ceil(keep * len(results))
    best = sorted(results, key=lambda r: r[1])[:n_best]
    new = {}
    for name, spec in space.items():
        values = [config[name] for config, _ in best]
        if spec[0] == "choice":
            new[name] = ("choice", tuple(o for o in spec[1] if o in values))
        else:
            new[name] = (spec[0], min(values), max(values))
    return new


def narrow_space_ignores_keep(space, results, keep=0.25):
    """Always keeps a quarter."""
    import math
    n_best = math.ceil(0.25 * len(results))
    best = sorted(results, key=lambda r: r[1], reverse=True)[:n_best]
    new = {}
    for name, spec in space.items():
        values = [config[name] for config, _ in best]
        if spec[0] == "choice":
            new[name] = ("choice", tuple(o for o in spec[1] if o in values))
        else:
            new[name] = (spec[0], min(values), max(values))
    return new


def narrow_space_floor(space, results, keep=0.25):
    """int(keep * n) trials instead of ceil: one too few, none for small keeps."""
    n_best = max(int(keep * len(results)), 1)
    best = sorted(results, key=lambda r: r[1], reverse=True)[:n_best]
    new = {}
    for name, spec in space.items():
        values = [config[name] for config, _ in best]
        if spec[0] == "choice":
            new[name] = ("choice", tuple(o for o in spec[1] if o in values))
        else:
            new[name] = (spec[0], min(values), max(values))
    return new


def narrow_space_factor(space, results, keep=0.25):
    """A factor of 3 around the best value: widens beyond the old range."""
    best_config = max(results, key=lambda r: r[1])[0]
    new = {}
    for name, spec in space.items():
        v = best_config[name]
        if spec[0] == "log":
            new[name] = ("log", v / 3, v * 3)
        elif spec[0] == "linear":
            width = (spec[2] - spec[1]) / 4
            new[name] = ("linear", v - width, v + width)
        else:
            new[name] = ("choice", (v,))
    return new


def narrow_space_all(space, results, keep=0.25):
    """The ranges of all the trials: nothing is dropped."""
    new = {}
    for name, spec in space.items():
        values = [config[name] for config, _ in results]
        if spec[0] == "choice":
            new[name] = ("choice", tuple(o for o in spec[1] if o in values))
        else:
            new[name] = (spec[0], min(values), max(values))
    return new


def narrow_space_in_place(space, results, keep=0.25):
    """Right ranges, but sorts the caller's results list in place."""
    import math
    results.sort(key=lambda r: r[1], reverse=True)
    best = results[:math.ceil(keep * len(results))]
    new = {}
    for name, spec in space.items():
        values = [config[name] for config, _ in best]
        if spec[0] == "choice":
            new[name] = ("choice", tuple(o for o in spec[1] if o in values))
        else:
            new[name] = (spec[0], min(values), max(values))
    return new


CORRECT = {
    "log_uniform": [log_uniform_exp, log_uniform_pow10, log_uniform_scaled, log_uniform_loop,
                    log_uniform_base2],
    "random_configs": [random_configs_per_trial, random_configs_columns,
                       random_configs_choice],
    "grid_configs": [grid_configs_geomspace, grid_configs_logspace, grid_configs_exp_linspace],
    "narrow_space": [narrow_space_sorted, narrow_space_argsort, narrow_space_argpartition],
}

WRONG = {
    "log_uniform": [log_uniform_linear, log_uniform_from_zero, log_uniform_exponents,
                    log_uniform_mixed_bases, log_uniform_np_random, log_uniform_own_generator,
                    log_uniform_no_checks, log_uniform_vague_error],
    "random_configs": [random_configs_shared, random_configs_log_linearly,
                       random_configs_linear_on_log, random_configs_one_u,
                       random_configs_np_random, random_configs_first_option],
    "grid_configs": [grid_configs_linear_log, grid_configs_no_ends, grid_configs_int_root,
                     grid_configs_ceil_root, grid_configs_options_ignored,
                     grid_configs_reversed_order],
    "narrow_space": [narrow_space_worst, narrow_space_ignores_keep, narrow_space_floor,
                     narrow_space_factor, narrow_space_all, narrow_space_in_place],
}

BASE = {"log_uniform": [log_uniform_exp], "random_configs": [random_configs_per_trial],
        "grid_configs": [grid_configs_geomspace], "narrow_space": [narrow_space_sorted]}

DIFFERENT = {"log_uniform": [log_uniform_pow10], "random_configs": [random_configs_columns],
             "grid_configs": [grid_configs_logspace], "narrow_space": [narrow_space_argsort]}

SAMPLES = [
    Sample(
        "bug-search-log-uniform-linear",
        fills={"log_uniform": [log_uniform_linear]},
        lose={"test_log_uniform"},
        # make test grades a5's correct sample, bug-cv-mean-of-all-x and
        # bug-cutmix-lam-as-weight end to end; test_grading's soundness test runs
        # this variant through the integrity pass.
        in_tests=False,
        note="log_uniform draws uniformly on the linear scale: its values lie in the range, "
             "so only their distribution gives it away (most land in the top decade); its "
             "test cell loses, the other functions of the search keep their points."),
    Sample(
        "bug-search-narrow-keeps-worst",
        fills={"narrow_space": [narrow_space_worst]},
        lose={"test_narrow_space"},
        in_tests=False,
        note="narrow_space sorts the scores in increasing order and keeps the worst trials: "
             "its test cell loses with a hint that a higher score is better."),
    Sample(
        "bug-search-grid-int-root",
        fills={"grid_configs": [grid_configs_int_root]},
        lose={"test_grid_configs"},
        in_tests=False,
        note="grid_configs takes k = int(num_trials ** (1 / d)): 64 ** (1 / 3) is "
             "3.9999999999999996 in floating point, so three parameters on 64 trials get a "
             "3 x 3 x 3 grid; its test cell loses."),
    Sample(
        "bug-search-random-configs-shared",
        fills={"random_configs": [random_configs_shared]},
        lose={"test_random_configs"},
        in_tests=False,
        note="random_configs draws each parameter once and repeats it in every trial: its "
             "test cell loses."),
]
