package io.github.ggml4j.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossChartTest {

    static final List<LossPoint> CURVE = List.of(new LossPoint(0, Double.NaN, 8.3, 0),
            new LossPoint(100, 6.0, 5.8, 60), new LossPoint(200, 4.5, 4.7, 120));

    @Test
    void writesAPngWithBothCurves(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("loss.png");
        LossChart.write(CURVE, "test", png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(480, img.getHeight());
        int blue = 0;
        int orange = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                blue += rgb == 0x1F77B4 ? 1 : 0;
                orange += rgb == 0xFF7F0E ? 1 : 0;
            }
        }
        assertTrue(blue > 200 && orange > 200, "line pixels: blue " + blue + ", orange " + orange);
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left");
        }
    }

    @Test
    void writesTheCsv(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("loss.csv");
        DemoPipeline.writeCsv(new TrainReport(CURVE, 200, 1024, 120), csv);
        assertEquals(List.of("step,train_loss,held_out_loss,seconds", "0,,8.30000,0.0", "100,6.00000,5.80000,60.0",
                "200,4.50000,4.70000,120.0"), Files.readAllLines(csv));
    }

    @Test
    void oneOrNoPointIsRefused(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> LossChart.write(CURVE.subList(0, 1), "t", dir.resolve("x.png")));
    }
}
