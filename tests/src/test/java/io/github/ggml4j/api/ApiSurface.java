package io.github.ggml4j.api;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds where a module's public API mentions a forbidden package: for every class in every unqualified
 * export, the accessible members' signatures including generic type arguments and bounds.
 */
final class ApiSurface {

    private ApiSurface() {
    }

    /** The module in a jar or class directory (one holding module-info.class). */
    static ModuleDescriptor descriptor(Path root) {
        Set<ModuleReference> found = ModuleFinder.of(root).findAll();
        if (found.size() != 1) {
            throw new IllegalStateException(root + " holds " + found.size() + " modules, expected 1");
        }
        return found.iterator().next().descriptor();
    }

    /** Packages exported to everybody. */
    static Set<String> unqualifiedExports(ModuleDescriptor d) {
        Set<String> out = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            if (!e.isQualified()) {
                out.add(e.source());
            }
        }
        return out;
    }

    /** Names of all classes (nested included) of a package, read from a jar or class directory. */
    static List<String> classNames(Path root, String pkg) throws IOException {
        List<String> names = new ArrayList<>();
        FileSystem jar = Files.isDirectory(root) ? null : FileSystems.newFileSystem(root);
        try {
            Path base = (jar == null ? root : jar.getPath("/")).resolve(pkg.replace('.', '/'));
            if (!Files.isDirectory(base)) {
                return names;
            }
            try (Stream<Path> files = Files.list(base)) {
                files.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".class") && !n.equals("package-info.class"))
                        .map(n -> pkg + "." + n.substring(0, n.length() - ".class".length()))
                        .sorted()
                        .forEach(names::add);
            }
        } finally {
            if (jar != null) {
                jar.close();
            }
        }
        return names;
    }

    /** Where {@code c}'s accessible API mentions a type from a package starting with {@code forbidden}. */
    static List<String> violations(Class<?> c, String forbidden) {
        if (!isApi(c)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        String owner = c.getName();
        check(out, forbidden, owner + " extends", c.getGenericSuperclass());
        for (Type t : c.getGenericInterfaces()) {
            check(out, forbidden, owner + " implements", t);
        }
        for (TypeVariable<?> v : c.getTypeParameters()) {
            check(out, forbidden, owner + " type parameter", v);
        }
        for (Field f : c.getDeclaredFields()) {
            if (accessible(f.getModifiers()) && !f.isSynthetic()) {
                check(out, forbidden, owner + "." + f.getName(), f.getGenericType());
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (accessible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                executable(out, forbidden, owner + "." + m.getName() + "()", m);
                check(out, forbidden, owner + "." + m.getName() + "() returns", m.getGenericReturnType());
            }
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (accessible(k.getModifiers()) && !k.isSynthetic()) {
                executable(out, forbidden, owner + ".<init>", k);
            }
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                check(out, forbidden, owner + " record component " + rc.getName(), rc.getGenericType());
            }
        }
        return out;
    }

    /** A public class, or a public/protected member class of one: what other modules can name. */
    private static boolean isApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            int mod = k.getModifiers();
            boolean ok = k.getDeclaringClass() == null ? Modifier.isPublic(mod) : accessible(mod);
            if (!ok || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    private static boolean accessible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void executable(List<String> out, String forbidden, String where, Executable e) {
        for (Type t : e.getGenericParameterTypes()) {
            check(out, forbidden, where + " parameter", t);
        }
        for (Type t : e.getGenericExceptionTypes()) {
            check(out, forbidden, where + " throws", t);
        }
        for (TypeVariable<?> v : e.getTypeParameters()) {
            check(out, forbidden, where + " type parameter", v);
        }
    }

    private static void check(List<String> out, String forbidden, String where, Type type) {
        Set<Type> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        String hit = find(type, forbidden, seen);
        if (hit != null) {
            out.add(where + ": " + type.getTypeName() + " mentions " + hit);
        }
    }

    /** The first forbidden class named anywhere in {@code t}, or null. */
    private static String find(Type t, String forbidden, Set<Type> seen) {
        if (t == null || !seen.add(t)) {
            return null;
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            return c.getPackageName().startsWith(forbidden) ? c.getName() : null;
        }
        List<Type> parts = new ArrayList<>();
        if (t instanceof ParameterizedType p) {
            parts.add(p.getRawType());
            parts.add(p.getOwnerType());
            parts.addAll(List.of(p.getActualTypeArguments()));
        } else if (t instanceof WildcardType w) {
            parts.addAll(List.of(w.getUpperBounds()));
            parts.addAll(List.of(w.getLowerBounds()));
        } else if (t instanceof TypeVariable<?> v) {
            parts.addAll(List.of(v.getBounds()));
        } else if (t instanceof GenericArrayType a) {
            parts.add(a.getGenericComponentType());
        }
        for (Type p : parts) {
            String hit = find(p, forbidden, seen);
            if (hit != null) {
                return hit;
            }
        }
        return null;
    }
}
