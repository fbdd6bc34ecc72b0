package io.github.ggml4j.train;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Draws a loss curve (training loss in blue, held-out loss in orange, against steps) as a PNG, with Java's
 * own imaging only.
 *
 * {@snippet :
 * LossChart.write(report.curve(), "ggml4j-demo", Path.of("loss.png"));
 * }
 */
public final class LossChart {

    private static final int W = 800;
    private static final int H = 480;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private LossChart() {
    }

    /** Writes the chart of {@code curve} to {@code out} (atomically). */
    public static void write(List<LossPoint> curve, String title, Path out) {
        if (curve.size() < 2) {
            throw new IllegalArgumentException("a curve needs at least two points");
        }
        BufferedImage img = render(curve, title);
        try {
            Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".loss", ".png");
            try {
                if (!ImageIO.write(img, "png", tmp.toFile())) {
                    throw new IOException("no PNG writer");
                }
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    static BufferedImage render(List<LossPoint> curve, String title) {
        int maxStep = curve.getLast().step();
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (LossPoint p : curve) {
            for (double v : new double[] {p.trainLoss(), p.evalLoss()}) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
        if (hi <= lo) {
            hi = lo + 1;
        }
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        for (int i = 0; i <= (int) (hi - lo); i++) { // one grid line per nat
            int y = TOP + ph - (int) Math.round(ph * i / (hi - lo));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(LEFT, y, LEFT + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0f", lo + i), LEFT - 30, y + 4);
        }
        for (int i = 0; i <= 5; i++) {
            int x = LEFT + pw * i / 5;
            g.drawString(String.valueOf(maxStep * i / 5), x - 12, TOP + ph + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, pw, ph);
        g.drawString("step", LEFT + pw / 2 - 12, H - 12);
        g.drawString("loss (nats/token)", 8, TOP - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, LEFT + pw / 2 - g.getFontMetrics().stringWidth(title) / 2, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        plot(g, curve, true, new Color(31, 119, 180), maxStep, lo, hi, pw, ph);
        plot(g, curve, false, new Color(255, 127, 14), maxStep, lo, hi, pw, ph);
        g.setColor(new Color(31, 119, 180));
        g.drawString("train", LEFT + pw - 90, TOP + 20);
        g.setColor(new Color(255, 127, 14));
        g.drawString("held-out", LEFT + pw - 90, TOP + 36);
        g.dispose();
        return img;
    }

    private static void plot(Graphics2D g, List<LossPoint> curve, boolean train, Color color, int maxStep,
                             double lo, double hi, int pw, int ph) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        int px = -1;
        int py = -1;
        for (LossPoint p : curve) {
            double v = train ? p.trainLoss() : p.evalLoss();
            if (!Double.isFinite(v)) {
                continue;
            }
            int x = LEFT + (int) Math.round((double) pw * p.step() / Math.max(1, maxStep));
            int y = TOP + ph - (int) Math.round(ph * (v - lo) / (hi - lo));
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
        }
        g.setStroke(new BasicStroke(1f));
    }
}
