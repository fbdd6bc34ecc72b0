package io.github.ggml4j.cli;

import picocli.CommandLine;

/** Prints ggml4j's version from the jar manifest (or "dev" when run from classes). */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"ggml4j " + (v != null ? v : "dev")};
    }
}
