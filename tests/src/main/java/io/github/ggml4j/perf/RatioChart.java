package io.github.ggml4j.perf;

import java.util.List;
import java.util.Locale;

/**
 * An SVG chart of a comparison, built as plain text: per benchmark one bar for the speed relative to the
 * baseline (red when {@link PerfCheck.Status#REGRESSION}) and one for the speed relative to llama.cpp, on one
 * axis with a line at 1 (same speed) and a dashed line at the regression threshold.
 *
 * {@snippet :
 * Files.writeString(Path.of("chart.svg"), RatioChart.svg(PerfCheck.compare(current, baseline, 0.10)));
 * }
 */
public final class RatioChart {

    private static final int LABEL = 470;
    private static final int PLOT = 420;
    private static final int ROW = 30;
    private static final int TOP = 56;

    private RatioChart() {
    }

    public static String svg(List<PerfCheck.Row> rows) {
        return svg(rows, PerfCheck.THRESHOLD);
    }

    public static String svg(List<PerfCheck.Row> rows, double threshold) {
        double max = 2;
        for (PerfCheck.Row r : rows) {
            max = Math.max(max, finite(r.speedRatio()));
            if (r.current() != null) {
                max = Math.max(max, finite(r.current().llamaRatio()));
            }
        }
        max = Math.ceil(max * 2) / 2;
        int width = LABEL + PLOT + 90;
        int height = TOP + rows.size() * ROW + 40;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">ggml4j perf: speed ratios (above 1 = faster)</text>\n");
        legend(s, 10, 40, "#4477aa", "current / baseline");
        legend(s, 170, 40, "#cc3311", "current / baseline, regression");
        legend(s, 400, 40, "#228833", "ggml4j / llama.cpp");
        int bottom = TOP + rows.size() * ROW;
        for (double tick = 0; tick <= max + 1e-9; tick += 0.5) {
            double x = x(tick, max);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>%n",
                    x, TOP - 4, x, bottom));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>%n",
                    x, bottom + 16, tick));
        }
        for (int i = 0; i < rows.size(); i++) {
            PerfCheck.Row r = rows.get(i);
            int y = TOP + i * ROW;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    LABEL - 8, y + 18, escape(r.name() + (r.status() == PerfCheck.Status.OK ? "" : " [" + r.status().label() + "]"))));
            bar(s, y + 4, r.speedRatio(), max, r.status() == PerfCheck.Status.REGRESSION ? "#cc3311" : "#4477aa");
            bar(s, y + 16, r.current() == null ? Double.NaN : r.current().llamaRatio(), max, "#228833");
        }
        double one = x(1, max);
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>%n",
                one, TOP - 4, one, bottom));
        double limit = x(1 / (1 + threshold), max);
        s.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#cc3311\" stroke-dasharray=\"4 3\"/>%n",
                limit, TOP - 4, limit, bottom));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void bar(StringBuilder s, int y, double ratio, double max, String color) {
        if (Double.isNaN(ratio)) {
            return;
        }
        double w = x(Math.min(ratio, max), max) - LABEL;
        s.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"%s\"><title>%.3f</title></rect>%n",
                LABEL, y, w, color, ratio));
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.2f</text>%n",
                LABEL + w + 4, y + 9, ratio));
    }

    private static void legend(StringBuilder s, int x, int y, String color, String text) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>%n",
                x, y - 9, color));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 16, y, escape(text)));
    }

    private static double x(double v, double max) {
        return LABEL + v / max * PLOT;
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
