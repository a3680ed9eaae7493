import { useEffect, useId, useRef } from 'react';
import type uPlot from 'uplot';

/** uPlot and its stylesheet load only when a chart is first shown, keeping the main bundle small. */
let uplotModule: Promise<typeof uPlot> | null = null;
function loadUplot(): Promise<typeof uPlot> {
  uplotModule ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default);
  return uplotModule;
}

const HEIGHT = 150;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * One series over time. `xs` are Unix seconds. The canvas is hidden from
 * screen readers; the caption says what it shows and the latest and peak values.
 */
export function TimeChart({ title, unit, xs, ys, color }: { title: string; unit: string; xs: number[]; ys: number[]; color: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useRef<[number[], number[]]>([xs, ys]);
  data.current = [xs, ys];
  const captionId = useId();

  useEffect(() => {
    let alive = true;
    let observer: ResizeObserver | undefined;
    void loadUplot().then((UPlot) => {
      const el = box.current;
      if (!alive || !el) return;
      const fg = cssVar('--muted');
      const grid = cssVar('--line');
      const stroke = cssVar(color) || '#2563eb';
      const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif' };
      plot.current = new UPlot(
        {
          width: Math.max(200, el.clientWidth),
          height: HEIGHT,
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
          // The y axis grows with its longest label (", 2,000" must not be cut).
          axes: [
            axis,
            { ...axis, size: (_u: uPlot, values: string[] | null) => Math.max(32, ...(values ?? []).map((v) => v.length * 7 + 16)) },
          ],
          series: [{}, { label: title, stroke, width: 2, fill: `${stroke}26`, points: { show: false } }],
        },
        data.current,
        el,
      );
      observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
      observer.observe(el);
    });
    return () => {
      alive = false;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [title, color]);

  useEffect(() => {
    plot.current?.setData([xs, ys]);
  }, [xs, ys]);

  const latest = ys.length ? ys[ys.length - 1] : undefined;
  const peak = ys.length ? Math.max(...ys) : undefined;
  return (
    <figure className="chart" aria-labelledby={captionId}>
      <figcaption id={captionId}>
        <span className="chart-title">{title}</span>{' '}
        <span className="muted">{latest === undefined ? 'no data yet' : `latest ${latest} ${unit}, peak ${peak} ${unit}`}</span>
      </figcaption>
      <div ref={box} className="chart-box" aria-hidden="true" />
    </figure>
  );
}
