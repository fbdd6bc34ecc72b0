package io.github.ggml4j.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.aggregator.ReRankingContentAggregator;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import io.github.ggml4j.ModelException;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.testing.SyntheticEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LangChain4j embedding and scoring models over synthetic encoders: their vectors and scores are the Java
 * API's, LangChain4j's own retrieval (an in-memory store and {@link EmbeddingStoreContentRetriever}) and re-ranking
 * ({@link ReRankingContentAggregator}) run on them, and an AI Service answers with the retrieved text in its prompt.
 */
class Ggml4jEncodersLangChain4jTest {

    interface Assistant {
        String chat(String message);
    }

    static final SyntheticEncoder BERT = SyntheticEncoder.bert(128, 2, 4, 512, Pooling.MEAN);
    static final List<String> FACTS = List.of("Pandas eat bamboo.", "The Eiffel Tower is in Paris.",
            "Water boils at 100 degrees.", "Cats sleep most of the day.");

    static Model embedder;
    static Model reranker;
    static Ggml4jEmbeddingModel embeddings;
    static Ggml4jScoringModel scoring;

    @BeforeAll
    static void load() {
        ModelOptions o = ModelOptions.defaults().withThreads(2);
        embedder = Model.load(BERT.cached(), o);
        reranker = Model.load(BERT.withPooling(Pooling.RANK).cached(), o);
        embeddings = Ggml4jEmbeddingModel.builder().model(embedder).modelName("bge").build();
        scoring = Ggml4jScoringModel.builder().model(reranker).build();
    }

    @AfterAll
    static void close() {
        embeddings.close();
        scoring.close();
        embedder.close();
        reranker.close();
    }

    @Test
    void embeddingsAreTheApisVectors() {
        Response<List<Embedding>> r = embeddings.embedAll(FACTS.stream().map(TextSegment::from).toList());
        float[][] want = embedder.embed(FACTS);
        assertEquals(FACTS.size(), r.content().size());
        for (int i = 0; i < want.length; i++) {
            assertArrayEquals(want[i], r.content().get(i).vector(), 1e-4f, "fact " + i);
        }
        assertEquals(128, embeddings.dimension());
        assertEquals("bge", embeddings.modelName());
        int tokens = FACTS.stream().mapToInt(f -> embedder.tokenizer().encode(f, true, true).length).sum();
        assertEquals(tokens, r.tokenUsage().inputTokenCount());
    }

    @Test
    void anAiServiceAnswersWithRetrievedContent() {
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        for (String f : FACTS) {
            TextSegment s = TextSegment.from(f);
            store.add(embeddings.embed(s).content(), s);
        }
        EmbeddingStoreContentRetriever retriever = EmbeddingStoreContentRetriever.builder().embeddingStore(store)
                .embeddingModel(embeddings).maxResults(1).build();
        // the query is one of the facts: its own vector is the nearest (cosine 1)
        List<Content> found = retriever.retrieve(Query.from("The Eiffel Tower is in Paris."));
        assertEquals("The Eiffel Tower is in Paris.", found.getFirst().textSegment().text());

        List<ChatMessage> sent = new CopyOnWriteArrayList<>();
        try (Model llama = Model.load(Parity.TINY.cached(), ModelOptions.defaults().withThreads(2));
             Ggml4jChatModel chat = Ggml4jChatModel.builder().model(llama).temperature(0.0).maxTokens(8).build()) {
            // what the AI Service sends, recorded on the way to ggml4j
            ChatModel recording = new ChatModel() {
                @Override
                public ChatResponse doChat(ChatRequest request) {
                    sent.addAll(request.messages());
                    return chat.doChat(request);
                }
            };
            Assistant a = AiServices.builder(Assistant.class).chatModel(recording).contentRetriever(retriever).build();
            String answer = a.chat("Cats sleep most of the day.");
            assertTrue(answer != null && !answer.isEmpty(), "an answer");
        }
        String prompt = sent.stream().filter(m -> m instanceof UserMessage).map(m -> ((UserMessage) m).singleText())
                .reduce("", String::concat);
        assertTrue(prompt.contains("Cats sleep most of the day.") && prompt.contains("Answer using the following"),
                "the retrieved fact is in the prompt: " + prompt);
    }

    @Test
    void scoresAreTheRerankersAndReRankingFollowsThem() {
        String query = "what do pandas eat?";
        List<TextSegment> segs = FACTS.stream().map(TextSegment::from).toList();
        List<Double> got = scoring.scoreAll(segs, query).content();
        float[] want = reranker.rank(query, FACTS);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got.get(i), 1e-5, "fact " + i);
        }
        ReRankingContentAggregator agg = ReRankingContentAggregator.builder().scoringModel(scoring).build();
        Map<Query, Collection<List<Content>>> in = Map.of(Query.from(query),
                List.of(segs.stream().map(Content::from).toList()));
        List<Content> ranked = agg.aggregate(in);
        List<String> order = new ArrayList<>(FACTS);
        order.sort((x, y) -> Float.compare(want[FACTS.indexOf(y)], want[FACTS.indexOf(x)]));
        assertEquals(order, ranked.stream().map(c -> c.textSegment().text()).toList());
    }

    @Test
    void buildersRefuseTheWrongModel() {
        assertTrue(assertThrows(ModelException.class, () -> Ggml4jEmbeddingModel.builder().model(reranker).build())
                .getMessage().contains("pooling rank"));
        assertThrows(ModelException.class, () -> Ggml4jScoringModel.builder().model(embedder).build());
        assertThrows(ModelException.class, () -> Ggml4jEmbeddingModel.builder().modelPath(Parity.TINY.cached())
                .build());
        assertThrows(IllegalArgumentException.class, () -> Ggml4jEmbeddingModel.builder().model(embedder)
                .modelPath(BERT.cached()).build());
    }
}
