"""The frame every plot shares: the timeline drawn across its panels, and above the top
panel the names of its events and windows, a caption and the title.

Nothing of the frame is written inside the axes, where it would hide data: the bands and
event lines are, their names sit above the top panel in rows (experiments/plot_labels.py),
each event's line continuing up to its name. Events that fall on the same pixels (an
action and the next one a few milliseconds later) share one line and one name.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.text import Text

from experiments.plot_labels import GAP, Span, rows

# The analysis windows that partition a run, each its own colour; other windows overlap
# these (recovery, final) and are not drawn (plots.py drops them).
WINDOW_COLOURS = {"before": "tab:blue", "during": "tab:red", "after": "tab:green"}
GLOSSES = {"before": "before (baseline)", "during": "during (trigger)"}  # what the two first windows are for
ACTION_COLOURS = ("tab:purple", "tab:brown", "tab:cyan", "tab:olive")
EVENT_COLOUR, FAILED_COLOUR = "dimgray", "tab:red"
LABEL_GID, CAPTION_GID, TITLE_GID = "timeline-label", "caption", "title"
MERGE_PIXELS = 4.0  # events closer than this on screen are one line
ROW_GAP, BLOCK_GAP = 2.0, 6.0  # pixels between label rows, and between the blocks above the axes


@dataclass(frozen=True)
class Event:
    at: float
    label: str
    ok: bool = True


@dataclass(frozen=True)
class Band:
    name: str
    start: float
    end: float

    @property
    def colour(self) -> str:
        return WINDOW_COLOURS.get(self.name, "tab:gray")


def colour_bands(bands: list[Band]) -> list[tuple[Band, str]]:
    """Each band with its colour: the fixed ones, and the operator actions' in turn."""
    actions = iter(ACTION_COLOURS * (1 + len(bands) // len(ACTION_COLOURS)))
    return [(band, WINDOW_COLOURS.get(band.name) or next(actions)) for band in bands]


def draw_timeline(ax, bands: list[tuple[Band, str]], events: list[Event]) -> None:
    """Shades the windows and draws the events' lines on one panel."""
    for band, colour in bands:
        ax.axvspan(band.start, band.end, color=colour, alpha=0.08, linewidth=0)
    for event in events:
        ax.axvline(event.at, color=EVENT_COLOUR if event.ok else FAILED_COLOUR, linewidth=0.9, linestyle="--")


def merged(events: list[Event], ax) -> list[Event]:
    """Events on the same pixels as one, their names joined."""
    out: list[Event] = []
    for event in sorted(events, key=lambda e: e.at):
        if out and _pixels(ax, event.at) - _pixels(ax, out[-1].at) < MERGE_PIXELS:
            last = out.pop()
            event = Event(last.at, f"{last.label} + {event.label}", last.ok and event.ok)
        out.append(event)
    return out


def _pixels(ax, x: float) -> float:
    return ax.get_xaxis_transform().transform((x, 0))[0]  # x only: a log y axis has no 0


def draw_header(figure, ax, title: str, caption: str, bands: list[tuple[Band, str]],
                events: list[Event]) -> float:
    """Writes, above ``ax``, the windows' and events' names, the caption and the title; returns
    the height in pixels they take. Call once the axes have their final width."""
    lo, hi = ax.get_xlim()
    left, right = ax.bbox.x0, ax.bbox.x1
    labels, spans, heights = [], [], [0.0]
    for band, colour in bands:
        start, end = _pixels(ax, max(band.start, lo)), _pixels(ax, min(band.end, hi))
        # The gloss when it fits inside the band; the bare name otherwise, which crosses no event's line.
        name, (width, height) = band.name, _size(figure, band.name, "italic")
        gloss = GLOSSES.get(band.name)
        if gloss and (size := _size(figure, gloss, "italic"))[0] < end - start - GAP:
            name, (width, height) = gloss, size
        heights.append(height)
        x0 = min(max((start + end - width) / 2, left), right - width)
        labels.append((name, colour, "italic", x0, None))
        spans.append(Span(x0, x0 + width))
    # Right to left: a flag to the right then sits below the one before it, whose line passes clear of it.
    for event in reversed(merged(events, ax)):
        content = event.label + ("" if event.ok else " (failed)")
        width, height = _size(figure, content, "normal")
        heights.append(height)
        stem = _pixels(ax, event.at)
        x0 = stem if stem + width <= right else stem - width  # a flag to the right; to the left at the edge
        labels.append((content, EVENT_COLOUR if event.ok else FAILED_COLOUR, "normal",
                       min(max(x0, left), right - width), stem))
        spans.append(Span(labels[-1][3], labels[-1][3] + width, stem))
    pitch = max(heights) + ROW_GAP
    placed = rows(spans)
    for (content, colour, style, x0, stem), row in zip(labels, placed, strict=True):
        _label(figure, ax, content, colour, style, x0, BLOCK_GAP / 2 + row * pitch, stem)
    top = BLOCK_GAP / 2 + (max(placed) + 1) * pitch if placed else 0.0
    renderer = figure.canvas.get_renderer()
    for content, gid, size in ((caption, CAPTION_GID, "small"), (title, TITLE_GID, "large")):
        if content:
            block = _block(figure, ax, content, gid, size, top + BLOCK_GAP)
            top += BLOCK_GAP + block.get_window_extent(renderer).height
    return top + BLOCK_GAP


LABEL_STYLE = {"fontsize": "small", "va": "bottom", "ha": "left"}


def _size(figure, content: str, style: str) -> tuple[float, float]:
    """A label's width and height in pixels, as it will be drawn."""
    probe = figure.text(0, 0, content, style=style, **LABEL_STYLE)
    box = probe.get_window_extent(figure.canvas.get_renderer())
    probe.remove()
    return box.width, box.height


def _label(figure, ax, content: str, colour: str, style: str, x0: float, y: float,
           stem: float | None) -> None:
    """A name with its left edge at pixel x0, y pixels above the axes; an event's, with its
    line continued from the axes up to it."""
    points = 72.0 / figure.dpi
    anchor = x0 if stem is None else stem
    arrow = None
    if stem is not None:
        arrow = {"arrowstyle": "-", "color": colour, "linewidth": 0.9, "linestyle": "--", "patchA": None,
                 "shrinkA": 0, "shrinkB": 0, "relpos": (0.0 if x0 >= stem - 0.5 else 1.0, 0.0)}
    ax.annotate(content, xy=(ax.get_xaxis_transform().inverted().transform((anchor, 0))[0], 1),
                xycoords=ax.get_xaxis_transform(), xytext=((x0 - anchor) * points, y * points),
                textcoords="offset points", color=colour, style=style, arrowprops=arrow,
                annotation_clip=False, gid=LABEL_GID, in_layout=False, **LABEL_STYLE,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})  # a stem may pass behind


def _block(figure, ax, content: str, gid: str, size: str, y: float):
    """A wrapped line or paragraph, left-aligned over the axes, y pixels above them."""
    text = ax.annotate("", xy=(0, 1), xycoords="axes fraction", textcoords="offset points",
                       xytext=(0, y * 72.0 / figure.dpi), fontsize=size, va="bottom", ha="left",
                       color="black" if gid == TITLE_GID else "#333333", gid=gid, in_layout=False,
                       annotation_clip=False)
    text.set_text(wrapped(content, text, ax.bbox.width, figure.canvas.get_renderer()))
    return text


def wrapped(content: str, text: Text, width: float, renderer) -> str:
    """content broken at spaces into lines no wider than ``width`` pixels, in text's font."""
    lines: list[str] = []
    for word in content.split():
        text.set_text(f"{lines[-1]} {word}" if lines else word)
        if lines and text.get_window_extent(renderer).width <= width:
            lines[-1] = text.get_text()
        else:
            lines.append(word)
    return "\n".join(lines)
