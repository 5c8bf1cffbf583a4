package io.portolan.collector.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Builds the OpenAPI 3.1 document from the endpoint table and the response records themselves, so
 * the document always describes what the code serves.
 */
public final class OpenApiDocument {
  private final ObjectMapper mapper;
  private final ObjectNode schemas;

  private OpenApiDocument(ObjectMapper mapper) {
    this.mapper = mapper;
    this.schemas = mapper.createObjectNode();
  }

  public static ObjectNode build(ObjectMapper mapper, String version, List<Endpoint> endpoints) {
    return new OpenApiDocument(mapper).document(version, endpoints);
  }

  private ObjectNode document(String version, List<Endpoint> endpoints) {
    ObjectNode doc = mapper.createObjectNode();
    doc.put("openapi", "3.1.0");
    ObjectNode info = doc.putObject("info");
    info.put("title", "Portolan collector API");
    info.put("version", version);
    info.put("description", "Container image inventory across Docker hosts. Errors are application/problem+json"
        + " (RFC 9457). Lists are paged: page counts from 1 and every page carries the total row count.");
    ObjectNode paths = doc.putObject("paths");
    for (Endpoint e : endpoints) {
      ObjectNode pathItem = paths.has(e.path()) ? (ObjectNode) paths.get(e.path()) : paths.putObject(e.path());
      ObjectNode get = pathItem.putObject(e.method().name().toLowerCase(java.util.Locale.ROOT));
      if (!e.body().isEmpty()) {
        ObjectNode rb = get.putObject("requestBody");
        rb.put("description", e.body());
        rb.put("required", true);
        if (e.bodyType() == byte[].class) {
          rb.putObject("content").putObject("application/octet-stream").putObject("schema").put("type", "string")
              .put("format", "binary");
        } else {
          rb.putObject("content").putObject("application/json").set("schema", schemaOf(e.bodyType()));
        }
      }
      get.put("summary", e.summary());
      ArrayNode params = get.putArray("parameters");
      for (Param p : e.params()) {
        ObjectNode n = params.addObject();
        n.put("name", p.name());
        n.put("in", p.in().name().toLowerCase());
        n.put("required", p.in() == Param.In.PATH);
        n.put("description", p.description());
        ObjectNode schema = n.putObject("schema");
        schema.put("type", p.kind().name().toLowerCase());
        if (!p.allowed().isEmpty()) p.allowed().forEach(schema.putArray("enum")::add);
        if (!p.defaultValue().isEmpty()) schema.put("default", p.defaultValue());
      }
      ObjectNode responses = get.putObject("responses");
      if (e.status() == 204) {
        responses.putObject("204").put("description", "Done; no content");
      } else {
        responses.putObject(Integer.toString(e.status())).put("description", e.status() == 201 ? "Created" : "OK")
            .putObject("content").putObject("application/json").set("schema", schemaOf(e.response()));
      }
      responses.set("400", problem("The request is malformed; the detail says which parameter and why"));
      if (e.path().contains("{")) responses.set("404", problem("No such object"));
    }
    ObjectNode components = doc.putObject("components");
    ObjectNode problemSchema = schemas.putObject("Problem");
    problemSchema.put("type", "object");
    ObjectNode props = problemSchema.putObject("properties");
    for (String f : List.of("type", "title", "detail", "instance")) props.putObject(f).put("type", "string");
    props.putObject("status").put("type", "integer");
    components.set("schemas", schemas);
    return doc;
  }

  private ObjectNode problem(String description) {
    ObjectNode r = mapper.createObjectNode();
    r.put("description", description);
    r.putObject("content").putObject("application/problem+json").putObject("schema")
        .put("$ref", "#/components/schemas/Problem");
    return r;
  }

  private ObjectNode schemaOf(Type type) {
    ObjectNode s = mapper.createObjectNode();
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      Type[] args = p.getActualTypeArguments();
      if (raw == java.util.Optional.class) return schemaOf(args[0]);
      if (Collection.class.isAssignableFrom(raw)) {
        s.put("type", "array");
        s.set("items", schemaOf(args[0]));
      } else if (Map.class.isAssignableFrom(raw)) {
        s.put("type", "object");
        s.set("additionalProperties", schemaOf(args[1]));
      } else if (raw.isRecord()) {
        String name = raw.getSimpleName() + "Of" + ((Class<?>) args[0]).getSimpleName();
        if (!schemas.has(name)) {
          ObjectNode obj = schemas.putObject(name);
          obj.put("type", "object");
          ObjectNode props = obj.putObject("properties");
          for (RecordComponent c : raw.getRecordComponents()) {
            Type t = c.getGenericType();
            // Page<T>.items is List<T>: substitute the type argument.
            if (c.getName().equals("items")) props.set(c.getName(), schemaOf(listOf(args[0])));
            else props.set(c.getName(), schemaOf(t));
          }
        }
        s.put("$ref", "#/components/schemas/" + name);
      } else {
        s.put("type", "object");
      }
      return s;
    }
    Class<?> c = (Class<?>) type;
    if (c == String.class) s.put("type", "string");
    else if (c == Instant.class) s.put("type", "string").put("format", "date-time");
    else if (c == java.time.LocalDate.class) s.put("type", "string").put("format", "date");
    else if (c == RawBody.class) s.put("type", "object").put("description", "a document in the requested format");
    else if (c == int.class || c == long.class || c == Integer.class || c == Long.class) s.put("type", "integer");
    else if (c == boolean.class || c == Boolean.class) s.put("type", "boolean");
    else if (c == double.class || c == Double.class) s.put("type", "number");
    else if (c.isRecord()) {
      String name = c.getSimpleName();
      if (!schemas.has(name)) {
        ObjectNode obj = schemas.putObject(name);
        obj.put("type", "object");
        ObjectNode props = obj.putObject("properties");
        for (RecordComponent rc : c.getRecordComponents()) props.set(rc.getName(), schemaOf(rc.getGenericType()));
      }
      s.put("$ref", "#/components/schemas/" + name);
    } else if (c.isEnum()) {
      s.put("type", "string");
    } else {
      s.put("type", "object");
    }
    return s;
  }

  private static Type listOf(Type item) {
    return new GenericType(List.class, item);
  }
}
