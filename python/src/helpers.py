"""Python-side helpers of homodyne_rs (compiled into the extension; not public API)."""

import json
import sys
import time


def json_dumps(obj):
    """A configuration dict as JSON; numpy values and paths are converted."""

    def default(o):
        if hasattr(o, "tolist"):
            return o.tolist()
        if hasattr(o, "__fspath__"):
            return o.__fspath__()
        raise TypeError(
            f"configuration value of type {type(o).__name__} cannot be converted "
            "(use numbers, strings, lists, dicts, None)"
        )

    return json.dumps(obj, default=default, allow_nan=True)


def json_loads(text):
    return json.loads(text)


class Reporter:
    """Delivers progress events to a callback and/or draws a bar (tqdm when installed,
    else a line on stderr at most every 2 s)."""

    def __init__(self, show, callback):
        self.show = bool(show)
        self.callback = callback
        self.bar = None
        self.tqdm = None
        self.last_line = 0.0
        self.label = ""
        if self.show:
            try:
                from tqdm.auto import tqdm

                self.tqdm = tqdm
            except Exception:  # noqa: BLE001 - any failure: plain lines
                self.tqdm = None

    def __call__(self, event):
        if self.callback is not None:
            self.callback(event)
        if self.show:
            self._show(event)

    def _open(self, desc, total, unit):
        self.close()
        self.label = desc
        if self.tqdm is not None:
            self.bar = self.tqdm(total=total, desc=desc, unit=unit, leave=True)

    def _line(self, text, force=False):
        now = time.monotonic()
        if force or now - self.last_line >= 2.0:
            self.last_line = now
            print(text, file=sys.stderr, flush=True)

    def _show(self, event):
        kind = event.get("event")
        if kind == "stage_started":
            msg = event["message"]
            if msg.startswith("NLSQ"):
                self._open("NLSQ", None, "it")
            if self.bar is None:
                self._line(msg, force=True)
        elif kind == "iteration":
            if self.bar is not None:
                self.bar.n = event["iteration"]
                self.bar.set_postfix(cost=f"{event['cost']:.6g}", refresh=False)
                self.bar.refresh()
            else:
                self._line(f"  iteration {event['iteration']}: cost {event['cost']:.6g}")
        elif kind == "stage_finished":
            self.close()
            self._line(event["message"] + f" ({event['seconds']:.2f} s)", force=True)
        elif kind == "cmc_started":
            total = event["shards"] * event["chains"] * event["draws_per_chain"]
            self._open(
                f"CMC {event['shards']} shard(s) x {event['chains']} chains", total, "draw"
            )
        elif kind == "cmc_progress":
            if self.bar is not None:
                self.bar.n = min(event["draws"], self.bar.total or event["draws"])
                self.bar.set_postfix(
                    divergent=event["divergences"],
                    shards=f"{event['shards_done']}/{event['shards']}",
                    refresh=False,
                )
                self.bar.refresh()
            else:
                self._line(
                    f"  CMC {event['draws']}/{event['total']} draws, "
                    f"{event['divergences']} divergent, "
                    f"{event['shards_done']}/{event['shards']} shards"
                )

    def close(self):
        if self.bar is not None:
            try:
                self.bar.close()
            finally:
                self.bar = None


def to_inference_data(posterior, sample_stats, observed_attrs):
    """An ArviZ InferenceData from (chain, draw) arrays."""
    try:
        import arviz as az
    except ImportError as e:
        raise ImportError(
            "CmcResult.to_inference_data() needs ArviZ: pip install arviz "
            "(the draws are available without it as CmcResult.samples / .posterior_samples)"
        ) from e
    major = int(str(getattr(az, "__version__", "0")).split(".")[0] or 0)
    if major >= 1:
        return az.from_dict({"posterior": posterior, "sample_stats": sample_stats})
    return az.from_dict(
        posterior=posterior, sample_stats=sample_stats, attrs=observed_attrs
    )
