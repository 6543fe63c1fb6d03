import type { ScenarioResult } from './types.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A horizontal bar per scenario: its median ratio, a dark tick at its target, green when
 * met, red when not, grey when there is no target or no number yet. Hand-written SVG so
 * that the chart needs no dependency and diffs as text.
 */
export function ratioChart(scenarios: readonly ScenarioResult[], title = 'Gatehouse / reference (median ratio)'): string {
  const rowH = 28;
  const labelW = 170;
  const barW = 460;
  const top = 40;
  const width = labelW + barW + 160;
  const height = top + scenarios.length * rowH + 36;
  const max = Math.max(1.5, ...scenarios.map((s) => (Number.isFinite(s.ratio) ? s.ratio! : 0)), ...scenarios.map((s) => s.targetRatio ?? 0)) * 1.05;
  const x = (ratio: number) => labelW + (Math.min(ratio, max) / max) * barW;

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${width - 10}" y="22" text-anchor="end" fill="#555">black tick = target; green met, red not, grey report only</text>`,
  ];
  // Gridlines every 0.5; the 1.0 line (parity with the reference) dashed darker.
  for (let g = 0; g <= max; g += 0.5) {
    const gx = x(g).toFixed(1);
    parts.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 30}" stroke="${g === 1 ? '#888' : '#e0e0e0'}"${g === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(`<text x="${gx}" y="${height - 14}" text-anchor="middle" fill="#666">${g.toFixed(1)}</text>`);
  }
  scenarios.forEach((s, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(s.name)}</text>`);
    if (s.ratio === undefined || !Number.isFinite(s.ratio)) {
      const why = s.unavailable !== undefined ? 'not yet available' : s.failed !== undefined ? 'failed' : 'no data';
      parts.push(`<text x="${labelW + 4}" y="${y + 17}" fill="#888" font-style="italic">${why}</text>`);
      return;
    }
    const colour = s.meets === undefined ? '#9e9e9e' : s.meets ? '#2e7d32' : '#c62828';
    parts.push(`<rect x="${labelW}" y="${y + 4}" width="${(x(s.ratio) - labelW).toFixed(1)}" height="${rowH - 10}" fill="${colour}"><title>${esc(`${s.name}: ${s.ratio.toFixed(2)} (${s.targetText})`)}</title></rect>`);
    if (s.targetRatio !== undefined) {
      parts.push(`<line x1="${x(s.targetRatio).toFixed(1)}" y1="${y + 1}" x2="${x(s.targetRatio).toFixed(1)}" y2="${y + rowH - 3}" stroke="#000" stroke-width="2"/>`);
    }
    // The label goes right of the bar and of the target tick, so neither hides it.
    const labelX = Math.max(x(s.ratio), s.targetRatio !== undefined ? x(s.targetRatio) : 0) + 6;
    parts.push(`<text x="${labelX.toFixed(1)}" y="${y + 17}">${s.ratio.toFixed(2)}${s.targetRatio !== undefined ? ` (target ${s.targetRatio})` : ''}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
