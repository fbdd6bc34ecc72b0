package io.github.ggml4j.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.lib.Importable;
import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.SizeLimitingPyList;
import com.hubspot.jinjava.objects.collections.SizeLimitingPyMap;
import com.hubspot.jinjava.util.ForLoop;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The locked-down Jinjava a chat template runs in. Templates see only plain data (strings, numbers, booleans,
 * lists, dicts) and the Python methods of {@link PyMethods}; any other Java member is a {@link Violation}. Output
 * size, string and collection sizes, {@code range}, macro recursion, the number of rendered nodes and the render
 * time are bounded ({@link TemplateLimits}); Jinjava's file loading, includes and nested interpretation are off.
 */
final class Sandbox {

    /** Raised inside a render for anything the sandbox refuses; becomes a ChatTemplateException. */
    static final class Violation extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Violation(String message) {
            super(message, null, false, false);
        }
    }

    /** A template's {@code raise_exception(msg)}. */
    static final class Raised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Raised(String message) {
            super(message, null, false, false);
        }
    }

    /** One render's budget: checked by every node and by the Python methods that build strings or lists. */
    static final class Limits {
        private final TemplateLimits limits;
        private final long deadline;
        private long steps;
        private RuntimeException failure;
        /** The items of the for-loops being rendered, innermost last (null: not a sequence), for loop.previtem. */
        private final java.util.ArrayDeque<List<Object>> loops = new java.util.ArrayDeque<>();

        void enterLoop(List<Object> items) {
            loops.push(items == null ? List.of() : items);
        }

        void exitLoop() {
            loops.pop();
        }

        /** Item {@code i} of the innermost loop, or null (undefined) outside it. */
        Object loopItem(int i) {
            List<Object> items = loops.peek();
            return items == null || i < 0 || i >= items.size() ? null : items.get(i);
        }

        Limits(TemplateLimits limits) {
            this.limits = limits;
            this.deadline = System.nanoTime() + limits.maxRenderTime().toNanos();
        }

        void step() {
            if (failure != null) {
                throw failure;
            }
            if (++steps > limits.maxSteps()) {
                fail(new Violation("the template took more than " + limits.maxSteps()
                        + " rendering steps (an endless or very long loop?)"));
            }
            if ((steps & 63) == 0 && System.nanoTime() > deadline) {
                fail(new Violation("rendering took longer than " + limits.maxRenderTime().toMillis() + " ms"));
            }
        }

        void checkString(long length) {
            if (length > limits.maxOutputChars()) {
                fail(new Violation("a string grew past " + limits.maxOutputChars() + " characters"));
            }
        }

        void checkList(int size) {
            if (size > limits.maxCollectionSize()) {
                fail(new Violation("a list grew past " + limits.maxCollectionSize() + " items"));
            }
        }

        /** Records the first failure so Jinjava, which swallows some exceptions, cannot hide it. */
        void fail(RuntimeException e) {
            if (failure == null) {
                failure = e;
            }
            throw failure;
        }

        RuntimeException failure() {
            return failure;
        }
    }

    private static final ThreadLocal<Limits> CURRENT = new ThreadLocal<>();

    private Sandbox() {
    }

    static Limits current() {
        Limits l = CURRENT.get();
        if (l == null) {
            throw new IllegalStateException("no chat template render in progress");
        }
        return l;
    }

    static Limits begin(TemplateLimits limits) {
        Limits l = new Limits(limits);
        CURRENT.set(l);
        return l;
    }

    static void end() {
        CURRENT.remove();
    }

    static List<Object> list(List<Object> items) {
        return new SizeLimitingPyList(items, Integer.MAX_VALUE);
    }

    static Map<String, Object> dict(Map<String, Object> items) {
        return new SizeLimitingPyMap(items, Integer.MAX_VALUE);
    }

    static Jinjava newJinjava(TemplateLimits limits) {
        Map<Context.Library, Set<String>> disabled = new EnumMap<>(Context.Library.class);
        // tags and functions that reach outside the template: other files, the clock of the host as Java objects,
        // Jinjava's own template-in-template rendering
        disabled.put(Context.Library.TAG, Set.of("include", "import", "from", "extends", "block"));
        disabled.put(Context.Library.FILTER, Set.of("render", "fromyaml", "toyaml", "fromjson", "urlize",
                "ipaddr", "ipv4", "ipv6", "pprint", "prettyprint", "shuffle", "random", "unixtimestamp",
                "strtotime", "strtodate", "datetimeformat", "format_datetime", "format_date", "format_time"));
        disabled.put(Context.Library.FUNCTION, Set.of("today", "unixtimestamp", "datetimeformat", "strtotime",
                "strtodate", "super", "type", "truncate", "format_datetime", "format_date", "format_time"));
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withMaxOutputSize(limits.maxOutputChars())
                .withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(limits.maxCollectionSize())
                .withMaxMapSize(limits.maxCollectionSize())
                .withRangeLimit(limits.maxCollectionSize())
                .withMaxRenderDepth(limits.maxNesting())
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(limits.maxNesting())
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withElResolver(new CompositeELResolver() {
                    {
                        add(new JinjavaListELResolver(false));
                        add(new TypeConvertingMapELResolver(false));
                        add(new Guard());
                    }
                })
                .withNodePreProcessor((node, interpreter) -> current().step())
                .withDisabled(disabled)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        Context global = jinjava.getGlobalContext();
        global.registerFunction(new ELFunctionDefinition("", "raise_exception", HfFunctions.class,
                "raiseException", Object.class));
        global.registerFunction(new ELFunctionDefinition("", "strftime_now", HfFunctions.class,
                "strftimeNow", String.class));
        global.registerFunction(new ELFunctionDefinition("", "range", HfFunctions.class, "range", Object.class,
                Object[].class));
        global.registerFunction(new ELFunctionDefinition("", "ggml4j_nz", HfFunctions.class, "nz", Object.class));
        global.registerFunction(new ELFunctionDefinition("", "ggml4j_slice", HfFunctions.class, "slice",
                Object.class, Object.class, Object.class, Object.class));
        global.registerFilter(new JsonFilter());
        global.registerFilter(new BlockTags.ItemsFilter());
        global.registerTag(new BlockTags.Generation());
        global.registerTag(new BlockTags.ForWithItems());
        global.registerTag(new BlockTags.FilterBlock());
        return jinjava;
    }

    /**
     * The last resolver: reads loop variables, treats attributes of plain values as undefined (as Jinja does),
     * runs the Python methods, and refuses every other Java object.
     */
    private static final class Guard extends ELResolver {

        /** For Jinjava's own filters and tests, which its parser calls as {@code filter:name.filter(...)}. */
        private final ELResolver library = new JinjavaBeanELResolver(false);

        private static boolean isLibrary(Object base) {
            return base instanceof Importable;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            if (base == null) {
                return null;
            }
            if (isLibrary(base)) {
                return library.getValue(context, base, property);
            }
            context.setPropertyResolved(true);
            String name = String.valueOf(property);
            if (base instanceof ForLoop loop) {
                return switch (name) {
                    case "index" -> (long) loop.getIndex();
                    case "index0" -> (long) loop.getIndex0();
                    case "revindex" -> (long) loop.getRevindex();
                    case "revindex0" -> (long) loop.getRevindex0();
                    case "first" -> loop.isFirst();
                    case "last" -> loop.isLast();
                    case "length" -> (long) loop.getLength();
                    case "depth" -> (long) loop.getDepth();
                    case "depth0" -> (long) loop.getDepth0();
                    case "previtem" -> current().loopItem(loop.getIndex0() - 1);
                    case "nextitem" -> current().loopItem(loop.getIndex0() + 1);
                    default -> throw current().failure() == null
                            ? new Violation("loop." + name + " is not supported") : current().failure();
                };
            }
            if (plain(base)) {
                return null; // an attribute of a string or number: undefined
            }
            throw violation("read '" + name + "' of", base);
        }

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (base == null) {
                return null;
            }
            if (isLibrary(base)) {
                return library.invoke(context, base, method, paramTypes, params);
            }
            String name = String.valueOf(method);
            Object result;
            if (base instanceof ForLoop loop && name.equals("cycle")) {
                result = loop.cycle(params == null ? new Object[0] : params);
            } else {
                result = PyMethods.invoke(base, name, params, current());
                if (result == PyMethods.NO_METHOD) {
                    throw violation("call " + name + "() on", base);
                }
            }
            context.setPropertyResolved(true);
            return result;
        }

        private static RuntimeException violation(String what, Object base) {
            Limits l = current();
            if (l.failure() != null) {
                return l.failure();
            }
            String type = base instanceof String || base instanceof SafeString ? "a string"
                    : base instanceof List<?> ? "a list" : base instanceof Map<?, ?> ? "a dict"
                    : "a Java object (" + base.getClass().getSimpleName() + ")";
            try {
                l.fail(new Violation("the template tried to " + what + " " + type + ", which the sandbox refuses"));
            } catch (Violation v) {
                return v;
            }
            return l.failure();
        }

        private static boolean plain(Object o) {
            return o instanceof String || o instanceof SafeString || o instanceof Number || o instanceof Boolean;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
            if (base != null) {
                context.setPropertyResolved(true);
                throw violation("set '" + property + "' of", base);
            }
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return Collections.emptyIterator();
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return Object.class;
        }
    }
}
