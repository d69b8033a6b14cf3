import { BarChart, LineChart, PieChart, type BarSeriesOption, type LineSeriesOption, type PieSeriesOption } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent, type GridComponentOption, type LegendComponentOption, type TooltipComponentOption } from "echarts/components";
import { init, use, type ComposeOption, type EChartsType } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

// Only the charts and components the dashboard draws, so the bundle carries no more of ECharts.
use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** What a dashboard chart's option may hold. */
export type ChartOption = ComposeOption<BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

export type Chart = EChartsType;

declare global {
  interface Window {
    /** The dashboard's live chart instances by name, for tests to read their data (`getOption()`). */
    __zhulianCharts?: Record<string, Chart>;
  }
}

/** Draws a chart into `element` and registers it under `name` while it lives. */
export function createChart(name: string, element: HTMLElement): Chart {
  const chart = init(element, undefined, { renderer: "canvas" });
  (window.__zhulianCharts ??= {})[name] = chart;
  return chart;
}

/** Disposes of a chart and forgets it. */
export function disposeChart(name: string, chart: Chart): void {
  if (window.__zhulianCharts?.[name] === chart) delete window.__zhulianCharts[name];
  chart.dispose();
}
