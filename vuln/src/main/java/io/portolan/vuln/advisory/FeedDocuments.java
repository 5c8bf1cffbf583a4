package io.portolan.vuln.advisory;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads one feed entry, JSON or YAML, into a tree whose scalars are all text as written.
 *
 * <p>Versions are strings that look like numbers: a YAML-typed reader turns an unquoted
 * {@code 1.10} into the float 1.1 and {@code 010} into 10. Keeping the scalar text avoids that for
 * every field at once.
 */
final class FeedDocuments {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final JsonFactory JSON = new JsonFactory();
  static final YAMLFactory YAML = yamlFactory();

  private FeedDocuments() {}

  private static YAMLFactory yamlFactory() {
    LoaderOptions options = new LoaderOptions();
    // SnakeYAML's 3 MiB default would reject a whole-branch secdb; the snapshot bounds sizes.
    options.setCodePointLimit(Integer.MAX_VALUE);
    return YAMLFactory.builder().loaderOptions(options).build();
  }

  static boolean isYamlName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml");
  }

  static boolean isJsonName(String name) {
    return name.toLowerCase(Locale.ROOT).endsWith(".json");
  }

  static JsonParser parser(String name, InputStream in) throws IOException {
    return isYamlName(name) ? YAML.createParser(in) : JSON.createParser(in);
  }

  static JsonParser parser(String name, byte[] data) throws IOException {
    return isYamlName(name) ? YAML.createParser(data) : JSON.createParser(data);
  }

  /** The first document of the entry; an empty document is a missing node. */
  static JsonNode read(String name, byte[] data) throws IOException {
    try (JsonParser p = parser(name, data)) {
      JsonToken t = p.nextToken();
      return t == null ? MissingNode.getInstance() : value(p, t);
    }
  }

  private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        JsonToken k;
        while ((k = p.nextToken()) != JsonToken.END_OBJECT) {
          if (k != JsonToken.FIELD_NAME) {
            throw new IOException("unexpected end of input");
          }
          String key = p.currentName();
          o.set(key, value(p, p.nextToken()));
        }
        return o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        JsonToken next;
        while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
          if (next == null) {
            throw new IOException("unexpected end of input");
          }
          a.add(value(p, next));
        }
        return a;
      }
      case VALUE_NULL -> {
        return NullNode.getInstance();
      }
      default -> {
        if (t.isScalarValue()) {
          return TextNode.valueOf(p.getText());
        }
        throw new IOException("unexpected " + t);
      }
    }
  }

  /** The text of a scalar field, or "" when absent, null or not a scalar. */
  static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isValueNode() && !v.isNull() ? v.asText().trim() : "";
  }
}
