package io.github.ggml4j.api;

import io.github.ggml4j.Ggml4j;
import io.github.ggml4j.quantize.TensorQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No {@code MemorySegment}, {@code Arena} or any other {@code java.lang.foreign} type in the public API: the
 * FFM layer stays behind ggml4j's own types. Reads the modules' real descriptors (from their jar or class
 * directory) and inspects every class of every package they export to everybody.
 */
class ApiSurfaceTest {

    private static final String FORBIDDEN = "java.lang.foreign";

    @ParameterizedTest
    @ValueSource(classes = {Ggml4j.class, TensorQuantizer.class})
    void exportedPackagesDoNotMentionForeignTypes(Class<?> anchor) throws Exception {
        Path root = codeSource(anchor);
        ModuleDescriptor module = ApiSurface.descriptor(root);
        Set<String> packages = ApiSurface.unqualifiedExports(module);
        assertTrue(packages.contains(anchor.getPackageName()), () -> module.name() + " exports " + packages);

        List<String> violations = new ArrayList<>();
        int classes = 0;
        for (String pkg : packages) {
            for (String name : ApiSurface.classNames(root, pkg)) {
                Class<?> c = Class.forName(name, false, anchor.getClassLoader());
                violations.addAll(ApiSurface.violations(c, FORBIDDEN));
                classes++;
            }
        }
        assertTrue(classes > 0, "no classes found under " + root);
        assertEquals(List.of(), violations, module.name() + " leaks FFM types into its API");
    }

    /** The internal package that does use FFM types is exported only to ggml4j's own modules. */
    @Test
    void nativPackageIsNotExportedToEverybody() throws Exception {
        ModuleDescriptor module = ApiSurface.descriptor(codeSource(Ggml4j.class));
        assertFalse(ApiSurface.unqualifiedExports(module).contains("io.github.ggml4j.nativ"));
    }

    /** The check itself finds each way a foreign type can appear, and passes what is clean. */
    @Test
    void checkerCatchesEveryKindOfMention() {
        for (Class<?> leaky : ApiSurfaceFixtures.class.getClasses()) {
            if (leaky != ApiSurfaceFixtures.Clean.class && leaky != ApiSurfaceFixtures.Outer.class) {
                assertFalse(ApiSurface.violations(leaky, FORBIDDEN).isEmpty(), leaky + " passed the check");
            }
        }
        assertFalse(ApiSurface.violations(ApiSurfaceFixtures.Outer.Inner.class, FORBIDDEN).isEmpty());
        assertEquals(List.of(), ApiSurface.violations(ApiSurfaceFixtures.Clean.class, FORBIDDEN));
        assertEquals(List.of(), ApiSurface.violations(ApiSurfaceFixtures.Outer.class, FORBIDDEN));
        assertEquals(List.of(), ApiSurface.violations(ApiSurfaceFixtures.packagePrivateClass(), FORBIDDEN));
        assertTrue(ApiSurfaceFixtures.class.getClasses().length >= 12, "fixtures missing");
    }

    private static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
