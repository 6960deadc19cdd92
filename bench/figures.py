# SPDX-License-Identifier: GPL-2.0-or-later
"""The figures of ./tools/bench: statistics, goals, the printed table and the JSON.

Every figure is a median over rounds with its min and max. A ratio is taken inside each round
(both sides measured side by side) and only then summarised, so drift between rounds cannot
favour one side. Percentiles are nearest-rank.
"""
import json
import math
import os
import statistics


def pct(values, p):
    """Nearest-rank percentile: the smallest sample with at least p % of the samples at or below."""
    s = sorted(values)
    if not s:
        raise ValueError('no samples')
    k = max(1, math.ceil(p / 100 * len(s)))
    return s[k - 1]


def median(values):
    return statistics.median(values)


def spread(values):
    """{'median', 'min', 'max', 'runs'} of one value per round."""
    return {'median': median(values), 'min': min(values), 'max': max(values), 'runs': len(values)}


class Figure:
    """One line of the table.

    values: one number per round (or one, for figures measured once). goal: text shown beside it,
    met: a function of the median (None: no goal). unavailable: why the figure could not be taken.
    """

    def __init__(self, fid, name, unit, values=None, goal=None, met=None, detail=None,
                 unavailable=None, optional=False):
        self.id = fid
        self.name = name
        self.unit = unit
        self.values = list(values or [])
        self.goal = goal
        self.met_fn = met
        self.detail = detail or {}
        self.unavailable = unavailable
        self.optional = optional        # may be unavailable without failing the smoke run

    def as_dict(self):
        d = {'id': self.id, 'name': self.name, 'unit': self.unit}
        if self.unavailable:
            d['unavailable'] = self.unavailable
            d['optional'] = self.optional
        else:
            d.update(spread(self.values))
        if self.goal:
            d['goal'] = self.goal
            d['met'] = None if self.unavailable or not self.met_fn else bool(self.met_fn(d['median']))
        if self.detail:
            d['detail'] = self.detail
        return d


def fmt(v, unit):
    if v is None:
        return '–'
    if unit == '×':
        return f'{v:.2f}×'
    if unit in ('ms', 'µs'):
        return f'{v:.3f} {unit}' if v < 10 else f'{v:.1f} {unit}'
    if unit in ('MiB', 's'):
        return f'{v:.1f} {unit}'
    if unit == 'B':
        return f'{v:.0f} {unit}'
    return f'{v:.4g} {unit}'


def fmt_range(d, unit):
    if d.get('runs', 0) <= 1:
        return 'once'
    return f'{fmt(d["min"], unit).split(" ")[0].rstrip("×")}–{fmt(d["max"], unit)}'


def table(report):
    """The printed table: figure, median, min–max, goal, met."""
    rows = [('figure', 'median', 'min–max', 'goal', 'met')]
    for f in report['figures']:
        if 'unavailable' in f:
            rows.append((f['name'], 'n/a', '', f.get('goal', ''), f['unavailable']))
            continue
        met = f.get('met')
        rows.append((f['name'], fmt(f['median'], f['unit']), fmt_range(f, f['unit']),
                     f.get('goal', ''), '' if met is None else ('yes' if met else 'NO')))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = []
    m = report['machine']
    out.append(f'passgate benchmarks: {m["cpu"]}, {m["cores"]} cores, {m["memory_gib"]:.0f} GiB, '
               f'Linux {m["kernel"]}, {m["build"]}')
    c = report['config']
    out.append(f'form {c["form"]}: {c["accounts"]:,} accounts, {c["rounds"]} round(s); '
               f'median over rounds, min–max beside it')
    out.append('')
    for i, r in enumerate(rows):
        out.append(('  '.join(r[k].ljust(widths[k]) for k in range(4)) + '  ' + r[4]).rstrip())
        if i == 0:
            out.append('  '.join('-' * w for w in widths) + '  ' + '-' * 3)
    return '\n'.join(out)


def missing(report):
    """Figures that were not produced (numbers absent or not finite). Optional figures may say why
    they are unavailable instead."""
    bad = []
    for f in report['figures']:
        if 'unavailable' in f:
            if not f.get('optional'):
                bad.append(f'{f["id"]}: {f["unavailable"]}')
            continue
        for k in ('median', 'min', 'max'):
            v = f.get(k)
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                bad.append(f'{f["id"]}: {k} is {v!r}')
    return bad


def write_json(report, path):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write('\n')
    os.replace(tmp, path)
