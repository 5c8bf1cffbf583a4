package io.portolan.collector.api;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/** A parameterized type built at run time, such as {@code Page<ImageSummary>}, for the OpenAPI document. */
record GenericType(Class<?> raw, Type argument) implements ParameterizedType {
  @Override
  public Type[] getActualTypeArguments() {
    return new Type[] {argument};
  }

  @Override
  public Type getRawType() {
    return raw;
  }

  @Override
  public Type getOwnerType() {
    return null;
  }
}
