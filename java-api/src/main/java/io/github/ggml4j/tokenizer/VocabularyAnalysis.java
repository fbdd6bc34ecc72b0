package io.github.ggml4j.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * What llama.cpp's loader derives from the token texts beyond what the file says: end-of-turn, end-of-message
 * and fill-in-the-middle tokens found by name, the set of end-of-generation tokens, attribute fixes
 * (control-looking tokens become control, {@code unused} control tokens become unused, a few model quirks),
 * and the special tokens matched in raw text, longest first.
 *
 * <p>Where llama.cpp picks among several candidate names in hash-map order, this picks the first candidate
 * in its list order, so the choice is deterministic.
 */
final class VocabularyAnalysis {

    static final int ATTR_UNKNOWN = 1;
    static final int ATTR_UNUSED = 1 << 1;
    static final int ATTR_NORMAL = 1 << 2;
    static final int ATTR_CONTROL = 1 << 3;
    static final int ATTR_USER_DEFINED = 1 << 4;
    static final int ATTR_BYTE = 1 << 5;
    static final int ATTR_LSTRIP = 1 << 7;
    static final int ATTR_RSTRIP = 1 << 8;

    private static final String FULLWIDTH_BAR = "\uFF5C";
    private static final String LOWER_BLOCK = "\u2581";
    private static final String DEEPSEEK_EOS = "<" + FULLWIDTH_BAR + "end" + LOWER_BLOCK + "of" + LOWER_BLOCK + "sentence"
            + FULLWIDTH_BAR + ">";

    private static final String[] EOT = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", DEEPSEEK_EOS, "<end_of_utterance>"};
    private static final String[] EOM = {"<|eom_id|>"};
    private static final String[] FIM_PRE = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
        "<" + FULLWIDTH_BAR + "fim" + LOWER_BLOCK + "begin" + FULLWIDTH_BAR + ">", "<PRE>", LOWER_BLOCK + "<PRE>",
        "<|code_prefix|>", "<|prefix|>"};
    private static final String[] FIM_SUF = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
        "<" + FULLWIDTH_BAR + "fim" + LOWER_BLOCK + "hole" + FULLWIDTH_BAR + ">", "<SUF>", LOWER_BLOCK + "<SUF>",
        "<|code_suffix|>", "<|suffix|>"};
    private static final String[] FIM_MID = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
        "<" + FULLWIDTH_BAR + "fim" + LOWER_BLOCK + "end" + FULLWIDTH_BAR + ">", "<MID>", LOWER_BLOCK + "<MID>",
        "<|code_middle|>", "<|middle|>"};
    private static final String[] FIM_PAD = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
    private static final String[] FIM_REP = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
    private static final String[] FIM_SEP = {"<|file_sep|>"};
    private static final String[] EOG = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
        "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>",
        "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        DEEPSEEK_EOS, "[e~["};
    private static final String[] ALWAYS_RENDERED = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

    final int[] attrs;
    final SpecialTokens special;
    final BitSet eog = new BitSet();
    /** Ids matched in raw text before tokenizing: control, user-defined and unknown tokens, longest first. */
    final int[] specialOrder;

    private final TokenTable table;
    private final int n;

    VocabularyAnalysis(Vocabulary v, TokenTable table) {
        this.table = table;
        this.n = v.size();
        attrs = new int[n];
        for (int i = 0; i < n; i++) {
            attrs[i] = switch (v.tokenTypes().get(i)) {
                case UNKNOWN -> ATTR_UNKNOWN;
                case UNUSED -> ATTR_UNUSED;
                case NORMAL -> ATTR_NORMAL;
                case CONTROL -> ATTR_CONTROL;
                case USER_DEFINED -> ATTR_USER_DEFINED;
                case BYTE -> ATTR_BYTE;
                case UNDEFINED -> 0;
            };
        }

        SpecialTokens s = v.specialTokens();
        if (s.eot() == SpecialTokens.NONE) {
            s = s.withEot(findControl(EOT));
        }
        if (s.eom() == SpecialTokens.NONE) {
            s = s.withEom(findControl(EOM));
        }
        s = s.withFim(s.fimPre() != SpecialTokens.NONE ? s.fimPre() : findControl(FIM_PRE),
                s.fimSuf() != SpecialTokens.NONE ? s.fimSuf() : findControl(FIM_SUF),
                s.fimMid() != SpecialTokens.NONE ? s.fimMid() : findControl(FIM_MID),
                s.fimPad() != SpecialTokens.NONE ? s.fimPad() : findControl(FIM_PAD),
                s.fimRep() != SpecialTokens.NONE ? s.fimRep() : findControl(FIM_REP),
                s.fimSep() != SpecialTokens.NONE ? s.fimSep() : findControl(FIM_SEP));
        special = s;

        for (int i = 0; i < n; i++) {
            if ((attrs[i] & ATTR_CONTROL) != 0 && v.tokens().get(i).contains("unused")) {
                attrs[i] |= ATTR_UNUSED;
            }
        }

        addEog(s.fimPad());
        addEog(s.fimRep());
        addEog(s.fimSep());
        for (String name : EOG) {
            int id = id(name);
            if (id >= 0) {
                eog.set(id);
                attrs[id] |= ATTR_CONTROL;
            }
        }
        for (String name : ALWAYS_RENDERED) {
            int id = id(name);
            if (id >= 0) {
                attrs[id] = ATTR_USER_DEFINED;
            }
        }
        addEog(s.eos());
        addEog(s.eot());
        addEog(s.eom());

        // o200k_harmony / solar-open: <|end|> ends a message, not the generation
        boolean hasReturn = eogHas("<|return|>");
        boolean hasCall = eogHas("<|call|>") || eogHas("<|calls|>");
        boolean hasFlush = eogHas("<|flush|>");
        int end = id("<|end|>");
        if (end >= 0 && eog.get(end) && ((hasReturn && hasCall) || (hasCall && hasFlush))) {
            eog.clear(end);
            attrs[end] = ATTR_USER_DEFINED;
        }
        // gemma4, paddleocr: </s> is not an end of generation
        int s2 = id("</s>");
        if (s2 >= 0 && eog.get(s2) && eogHas("<|tool_response>")) {
            eog.clear(s2);
            attrs[s2] = ATTR_NORMAL;
        }

        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if ((attrs[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) {
                order.add(i);
            }
        }
        int[] byteLength = new int[n];
        for (int id : order) {
            byteLength[id] = Utf8.encodedLength(table.string(id));
        }
        order.sort(Comparator.<Integer>comparingInt(id -> -byteLength[id]).thenComparingInt(id -> id));
        specialOrder = order.stream().mapToInt(Integer::intValue).toArray();

        applyModelQuirks(v);
    }

    private void applyModelQuirks(Vocabulary v) {
        String name = asciiLower(v.modelName());
        if (containsAny(v.preTokenizer(), "jina-v2-de", "jina-v2-es", "jina-v2-code")
                || containsAny(v.architecture(), "nomic-bert-moe", "jina-bert-v3")) {
            setFlag("<mask>", ATTR_LSTRIP, true);
        } else if (containsAny(name, "phi-3", "phi3")) {
            for (int id : specialOrder) {
                attrs[id] |= ATTR_RSTRIP;
            }
            setFlag("</s>", ATTR_RSTRIP, true);
            for (String t : new String[] {"<unk>", "<s>", "<|endoftext|>"}) {
                setFlag(t, ATTR_RSTRIP, false);
            }
        } else if (containsAny(name, "modern-bert")) {
            setFlag("[MASK]", ATTR_LSTRIP, true);
        }
    }

    private void setFlag(String text, int flag, boolean on) {
        int id = id(text);
        if (id >= 0) {
            attrs[id] = on ? attrs[id] | flag : attrs[id] & ~flag;
        }
    }

    private int id(String text) {
        int id = table.get(text);
        return id < n ? id : -1;
    }

    private boolean eogHas(String text) {
        int id = id(text);
        return id >= 0 && eog.get(id);
    }

    private void addEog(int id) {
        if (id >= 0 && id < n) {
            eog.set(id);
        }
    }

    /** The first candidate that is in the vocabulary, marked control; or NONE. */
    private int findControl(String[] candidates) {
        for (String c : candidates) {
            int id = id(c);
            if (id >= 0) {
                attrs[id] |= ATTR_CONTROL;
                return id;
            }
        }
        return SpecialTokens.NONE;
    }

    private static boolean containsAny(String s, String... parts) {
        for (String p : parts) {
            if (s.contains(p)) {
                return true;
            }
        }
        return false;
    }

    private static String asciiLower(String s) {
        char[] c = s.toCharArray();
        for (int i = 0; i < c.length; i++) {
            if (c[i] >= 'A' && c[i] <= 'Z') {
                c[i] += 'a' - 'A';
            }
        }
        return new String(c);
    }
}
