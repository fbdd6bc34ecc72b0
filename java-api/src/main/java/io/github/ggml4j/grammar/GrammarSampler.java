package io.github.ggml4j.grammar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One generation's grammar state over a vocabulary: which tokens may come next, and the parse advanced token by
 * token. The sampler chain ({@link io.github.ggml4j.sampling.SamplerChain}) uses it as llama.cpp's common
 * sampler does: it samples first, checks the one token drawn ({@link #allows}), and only when that token does
 * not fit filters the vocabulary ({@link #mask}) and samples again. End-of-generation tokens fit only where the
 * grammar is complete. Not thread-safe.
 *
 * {@snippet :
 * GrammarSampler g = Grammar.choice("yes", "no").sampler(tokenizer);
 * boolean ok = g.allows(token);
 * g.accept(token);
 * }
 */
public final class GrammarSampler {

    private final Grammar grammar;
    private final Matcher matcher;
    private final TokenTrie vocab;
    private boolean awaiting;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<int[]> pendingTokens = new ArrayList<>(); // token, start byte, end byte

    GrammarSampler(Grammar grammar, Matcher matcher, TokenTrie vocab) {
        this.grammar = grammar;
        this.matcher = matcher;
        this.vocab = vocab;
        this.awaiting = grammar.isLazy();
    }

    /** The vocabulary size this sampler filters. */
    public int vocabSize() {
        return vocab.vocabSize;
    }

    /** False while a lazy grammar waits for its trigger (every token fits then). */
    public boolean active() {
        return !awaiting;
    }

    /** Whether the text so far is complete under the grammar (end of generation may come). */
    public boolean isComplete() {
        return matcher.complete();
    }

    /** Whether {@code token} may come next. */
    public boolean allows(int token) {
        if (awaiting) {
            return true;
        }
        checkId(token);
        return matcher.allows(vocab, token);
    }

    /**
     * Marks in {@code allowed} (at least the vocabulary's size) the tokens that may come next; returns how many.
     */
    public int mask(boolean[] allowed) {
        if (allowed.length < vocab.vocabSize) {
            throw new IllegalArgumentException("mask has " + allowed.length + " entries, the vocabulary "
                    + vocab.vocabSize);
        }
        if (awaiting) {
            java.util.Arrays.fill(allowed, 0, vocab.vocabSize, true);
            return vocab.vocabSize;
        }
        return matcher.mask(vocab, allowed);
    }

    /**
     * Advances the grammar past a generated token; a lazy grammar watches for its trigger instead.
     *
     * @throws GrammarException if the token does not fit (the chain never picks such a token)
     */
    public void accept(int token) {
        checkId(token);
        byte[] piece = vocab.pieces[token];
        if (awaiting) {
            watch(token, piece);
            return;
        }
        if (vocab.eog[token]) {
            if (!matcher.complete()) {
                throw new GrammarException("end of generation where the grammar is not complete");
            }
            return;
        }
        if (!matcher.accept(token, piece)) {
            throw new GrammarException("token " + token + " (" + new String(piece, StandardCharsets.UTF_8)
                    + ") does not fit the grammar here");
        }
    }

    private void checkId(int token) {
        if (token < 0 || token >= vocab.vocabSize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary");
        }
    }

    /** A lazy grammar before its trigger: llama.cpp's trigger buffer, tokens replayed from the match on. */
    private void watch(int token, byte[] piece) {
        if (grammar.triggerTokens().contains(token)) {
            awaiting = false;
            pending.reset();
            pendingTokens.clear();
            feed(token, piece);
            return;
        }
        int from = pending.size();
        pending.writeBytes(piece);
        pendingTokens.add(new int[] {token, from, pending.size()});
        byte[] buffer = pending.toByteArray();
        String text = new String(buffer, StandardCharsets.UTF_8);
        for (Pattern p : grammar.triggerPatterns()) {
            int startChar = find(p, text);
            if (startChar < 0) {
                continue;
            }
            awaiting = false;
            int start = text.substring(0, startChar).getBytes(StandardCharsets.UTF_8).length;
            for (int[] t : pendingTokens) {
                if (t[2] <= start) {
                    continue;
                }
                int pieceStart = Math.max(start, t[1]);
                feed(t[0], java.util.Arrays.copyOfRange(buffer, pieceStart, t[2]));
            }
            pending.reset();
            pendingTokens.clear();
            return;
        }
    }

    private void feed(int token, byte[] piece) {
        if (vocab.eog[token] && matcher.complete()) {
            return;
        }
        if (!matcher.accept(token, piece)) {
            throw new GrammarException("the output from the trigger on does not fit the grammar");
        }
    }

    /** Where the constrained text starts: the first non-empty capturing group of a match, else the match. */
    private static int find(Pattern p, String text) {
        String src = p.pattern();
        java.util.regex.Matcher m = p.matcher(text);
        boolean found = src.startsWith("^") && src.endsWith("$") ? m.matches() || m.reset().find() : m.find();
        if (!found) {
            return -1;
        }
        for (int g = 1; g <= m.groupCount(); g++) {
            if (m.start(g) >= 0 && m.end(g) > m.start(g)) {
                return m.start(g);
            }
        }
        return m.start();
    }
}
