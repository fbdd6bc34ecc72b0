package io.github.ggml4j.api;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Classes for {@link ApiSurfaceTest}'s self-test: each public one but Clean and Outer leaks an FFM type. */
public final class ApiSurfaceFixtures {

    private ApiSurfaceFixtures() {
    }

    static Class<?> packagePrivateClass() {
        return PackagePrivate.class;
    }

    public static class ReturnsSegment {
        public MemorySegment segment() {
            return MemorySegment.NULL;
        }
    }

    public static class TakesArena {
        public void use(Arena arena) {
        }
    }

    public static class PublicField {
        public MemorySegment field;
    }

    public static class GenericField {
        public Map<String, List<? extends MemorySegment>> field;
    }

    public static class BoundedMethod {
        public <T extends MemorySegment> void take(T t) {
        }
    }

    public record LeakyRecord(Optional<MemorySegment> segment) {
    }

    public static class LeakyConstructor {
        public LeakyConstructor(MemorySegment s) {
        }
    }

    public static class ArrayReturn {
        public MemorySegment[][] segments() {
            return null;
        }
    }

    public static class Outer {
        public static class Inner {
            public Arena arena() {
                return null;
            }
        }
    }

    public static class SupplierOfSegment implements Supplier<MemorySegment> {
        @Override
        public MemorySegment get() {
            return null;
        }
    }

    public static class ProtectedMethod {
        protected void use(MemorySegment s) {
        }
    }

    public static class Clean {
        private MemorySegment notApi;

        public Clean() {
        }

        public String name() {
            return "clean";
        }

        private MemorySegment hidden() {
            return MemorySegment.NULL;
        }

        MemorySegment packagePrivate() {
            return notApi == null ? hidden() : notApi;
        }
    }

    static class PackagePrivate {
        public MemorySegment notApi() {
            return null;
        }
    }
}
