package io.github.ggml4j.nativ;

/** Main class run in a child JVM: loads the natives and prints {@code result=ok} or the first failing case. */
public final class ArgmaxChild {

    private ArgmaxChild() {
    }

    public static void main(String[] args) {
        NativeLoader.ensureLoaded();
        String failure = ArgmaxCases.check();
        System.out.println("result=" + (failure == null ? "ok" : failure));
        System.out.flush();
    }
}
