package io.portolan.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.Analyzers.PackageType;
import io.portolan.inventory.analyzer.Analyzer;
import io.portolan.inventory.lang.java.Sha1Index;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AnalyzersTest {
  static List<String> names(List<Analyzer> analyzers) {
    return analyzers.stream().map(Analyzer::name).toList();
  }

  @Test
  void bothTypesAreEveryAnalyzer() {
    assertThat(names(Analyzers.of(PackageType.parse(PackageType.DEFAULT), Sha1Index.empty())))
        .isEqualTo(names(Analyzers.all()));
  }

  @Test
  void osOnlyReadsThePackageDatabasesAndLibraryOnlyStillDetectsTheOs() {
    assertThat(names(Analyzers.of(PackageType.parse("os"), Sha1Index.empty())))
        .isEqualTo(names(Analyzers.osPackages()));
    List<String> library = names(Analyzers.of(PackageType.parse("library"), Sha1Index.empty()));
    assertThat(library).startsWith(names(Analyzers.osPackages()).get(0))
        .containsAll(names(Analyzers.languagePackages(Sha1Index.empty())))
        .hasSize(Analyzers.languagePackages(Sha1Index.empty()).size() + 1);
  }

  @Test
  void parsingIsForgivingAboutCaseAndSpacesButNotAboutNames() {
    assertThat(PackageType.parse(" OS , library")).isEqualTo(EnumSet.allOf(PackageType.class));
    assertThat(PackageType.parse("library,library")).isEqualTo(Set.of(PackageType.LIBRARY));
    assertThatThrownBy(() -> PackageType.parse("os,lang")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'lang'").hasMessageContaining("os, library");
    assertThatThrownBy(() -> PackageType.parse("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PackageType.parse("os,")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Analyzers.of(Set.of(), Sha1Index.empty())).isInstanceOf(IllegalArgumentException.class);
  }
}
