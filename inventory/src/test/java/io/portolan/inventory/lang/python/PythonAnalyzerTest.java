package io.portolan.inventory.lang.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Path filter, core metadata and lock-file tests for {@link PythonAnalyzer}; see lang/python/PROVENANCE.tsv. */
class PythonAnalyzerTest {
  private final PythonAnalyzer analyzer = new PythonAnalyzer();

  @Test
  void wantsMetadataDirectlyInSiteOrDistPackages() {
    assertThat(analyzer.wants("usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA")).isTrue();
    assertThat(analyzer.wants("usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO")).isTrue();
    assertThat(analyzer.wants("usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info")).isTrue();
    assertThat(analyzer.wants("opt/venv/lib/python3.12/site-packages/PyYAML-6.0.1.dist-info/METADATA")).isTrue();
    assertThat(analyzer.wants("site-packages/a-1.dist-info/METADATA")).isTrue();
  }

  @Test
  void doesNotWantOtherMetadataLikeFiles() {
    assertThat(analyzer.wants("usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3.11/site-packages/foo/METADATA")).isFalse();
    assertThat(analyzer.wants("src/foo.egg-info/PKG-INFO")).isFalse();
    assertThat(analyzer.wants("src/foo.dist-info/METADATA")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3/dist-packages/.egg-info")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3/dist-packages/x.egg-info/PKG-INFO/extra")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3/mysite-packages/x.egg-info")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3/dist-packages/.dist-info/METADATA")).isFalse();
  }

  @Test
  void wantsAppLockFilesButNotThoseShippedInsideDistributions() {
    assertThat(analyzer.wants("app/poetry.lock")).isTrue();
    assertThat(analyzer.wants("app/Pipfile.lock")).isTrue();
    assertThat(analyzer.wants("app/requirements.txt")).isTrue();
    assertThat(analyzer.wants("requirements-prod.txt")).isTrue();
    assertThat(analyzer.wants("app/requirements/base.txt")).isFalse();
    assertThat(analyzer.wants("app/Pipfile")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3/site-packages/foo/requirements.txt")).isFalse();
    assertThat(analyzer.wants("usr/lib/python3/dist-packages/foo/poetry.lock")).isFalse();
    assertThat(analyzer.wants("app/node_modules/x/requirements.txt")).isFalse();
  }

  @Test
  void distInfoWithMultiLineLicenseUsesClassifiers() throws IOException {
    String path = "usr/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/METADATA";
    Package p = single(path, """
        Metadata-Version: 2.1
        Name: PyYAML
        Version: 6.0.1
        Summary: YAML parser and emitter for Python
        License: Copyright (c) 2017-2021 Ingy döt Net
                 Copyright (c) 2006-2016 Kirill Simonov
                 Permission is hereby granted, free of charge
        Classifier: Development Status :: 5 - Production/Stable
        Classifier: License :: OSI Approved :: MIT License
        Requires-Python: >=3.6

        Description: Name: not-this
        Version: 0.0
        """);
    assertThat(p.type()).isEqualTo("pypi");
    assertThat(p.name()).isEqualTo("PyYAML");
    assertThat(p.version()).isEqualTo("6.0.1");
    assertThat(p.license()).isEqualTo("MIT License");
    assertThat(p.purl()).isEqualTo("pkg:pypi/pyyaml@6.0.1");
    assertThat(p.properties()).isEqualTo(Map.of("path", path));
  }

  @Test
  void licenseExpressionWinsAndNamesNormalizeInPurls() throws IOException {
    Package p = single("x/site-packages/zope.interface-6.0.dist-info/METADATA", """
        Metadata-Version: 2.4
        Name: Zope.Interface__Extra
        Version: 6.0
        License: ZPL 2.1
        License-Expression: ZPL-2.1
        """);
    assertThat(p.name()).isEqualTo("Zope.Interface__Extra");
    assertThat(p.license()).isEqualTo("ZPL-2.1");
    assertThat(p.purl()).isEqualTo("pkg:pypi/zope-interface-extra@6.0");
  }

  @Test
  void eggInfoFileWithSetuptoolsDescriptionBlankLines() throws IOException {
    // setuptools indents every description line by eight spaces, blank ones included.
    Package p = single("usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info", "Metadata-Version: 1.1\n"
        + "Name: python-apt\nVersion: 2.6.0\nSummary: Python bindings for APT\nLicense: UNKNOWN\n"
        + "Description: First paragraph.\n        \n        Second paragraph.\n"
        + "Platform: UNKNOWN\nClassifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\n");
    assertThat(p.name()).isEqualTo("python-apt");
    assertThat(p.license()).isEqualTo("GNU General Public License v2 or later (GPLv2+)");
    assertThat(p.purl()).isEqualTo("pkg:pypi/python-apt@2.6.0");
  }

  @Test
  void eggInfoDirectoryPkgInfo() throws IOException {
    Package p = single("usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
        "Metadata-Version: 1.2\r\nName: six\r\nVersion: 1.16.0\r\nLicense: MIT\r\n\r\nbody\r\n");
    assertThat(p.name()).isEqualTo("six");
    assertThat(p.version()).isEqualTo("1.16.0");
    assertThat(p.license()).isEqualTo("MIT");
  }

  @Test
  void corruptMetadata() {
    String path = "x/site-packages/a-1.dist-info/METADATA";
    assertThatThrownBy(() -> analyze(path, "Metadata-Version: 2.1\nName: a\nthis is no header\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining(path).hasMessageContaining("line 3 (offset 30)");
    assertThatThrownBy(() -> analyze(path, "  continued\nName: a\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 1");
    assertThatThrownBy(() -> analyze(path, "Metadata-Version: 2.1\nName: a\n\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("no Version");
    assertThatThrownBy(() -> analyze(path, "Name: a\0\nVersion: 1\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("NUL");
  }

  @Test
  void poetryLockNamesVersionsAndCategories() throws IOException {
    List<Package> packages = analyzeResource("app/poetry.lock", "poetry.lock").packages();
    assertThat(summary(packages)).containsExactly("certifi@2023.7.22", "Django@4.2.3", "pytest@7.4.0 dev");
    assertThat(packages.get(1).purl()).isEqualTo("pkg:pypi/django@4.2.3");
    assertThat(packages).allSatisfy(p -> assertThat(p.properties()).containsEntry("source", "lockfile"));
  }

  @Test
  void poetry2Groups() throws IOException {
    assertThat(summary(analyzeResource("app/poetry.lock", "poetry-2.lock").packages()))
        .containsExactly("requests@2.32.3", "ruff@0.6.9 dev");
  }

  @Test
  void corruptPoetryLock() {
    assertThatThrownBy(() -> analyze("poetry.lock", "[[package]]\nname = \"a\"\n\n[[package]]\nversion = \"1\"\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("[[package]] at line 1").hasMessageContaining("no version");
    assertThatThrownBy(() -> analyze("poetry.lock", "[[package]]\nname = \"a\"\ndescription = \"\"\"never closed\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("unterminated string");
    assertThatThrownBy(() -> analyze("poetry.lock", "[[package]]\nname = \"a\nversion = \"1\"\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 2 (offset 12)");
    assertThatThrownBy(() -> analyze("poetry.lock", "[[package]]\nname: a\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 2");
  }

  @Test
  void pipfileLockDefaultAndDevelop() throws IOException {
    List<Package> packages = analyzeResource("app/Pipfile.lock", "Pipfile.lock").packages();
    assertThat(summary(packages)).containsExactly("flask@2.3.2", "markupsafe@2.1.3", "pytest@7.4.0 dev");
  }

  @Test
  void corruptPipfileLock() {
    assertThatThrownBy(() -> analyze("Pipfile.lock", "{\n\"default\": {\"a\": {\"version\": \"==1\",}}}"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("Pipfile.lock").hasMessageContaining("line 2");
    assertThatThrownBy(() -> analyze("Pipfile.lock", "{\"default\": []}"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("not an object");
  }

  @Test
  void requirementsOnlyExactPins() throws IOException {
    List<Package> packages = analyze("app/requirements-prod.txt", """
        # pinned by pip-compile
        -r base.txt
        -e git+https://github.com/x/y.git#egg=y
        --index-url https://pypi.org/simple
        Django==4.2.3  # via -r requirements.in
        requests[socks,security] == 2.31.0 ; python_version >= "3.8"
        certifi==2023.7.22 \\
            --hash=sha256:539cc1d13202e33ca466e88b2807e29f4c13049d6d87031a3c110744495cb082 \\
            --hash=sha256:92d6037539857d8206b8f6ae472e8b77db8058fec5937a1ef3f54304089edbb9
        urllib3>=1.26
        idna==3.*
        six===1.16.0
        numpy==1.26.0,!=1.26.1
        https://example.com/pkg.tar.gz#egg=pkg
        zope.interface==6.0;sys_platform=="linux"
        Django==4.2.3
        """).packages();
    assertThat(summary(packages)).containsExactly("certifi@2023.7.22", "Django@4.2.3", "requests@2.31.0",
        "zope.interface@6.0");
    assertThat(packages.get(3).purl()).isEqualTo("pkg:pypi/zope-interface@6.0");
    assertThat(packages).allSatisfy(p -> assertThat(p.properties()).isEqualTo(Map.of("source", "lockfile")));
  }

  @Test
  void binaryRequirementsFileIsCorrupt() {
    assertThatThrownBy(() -> analyze("requirements.txt", "a==1\n\0\0"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("requirements.txt").hasMessageContaining("offset 5");
  }

  private static List<String> summary(List<Package> packages) {
    return packages.stream()
        .map(p -> p.name() + "@" + p.version() + ("true".equals(p.properties().get("dev")) ? " dev" : ""))
        .collect(Collectors.toList());
  }

  private Package single(String path, String text) throws IOException {
    List<Package> packages = analyze(path, text).packages();
    assertThat(packages).hasSize(1);
    return packages.get(0);
  }

  private FileFindings analyze(String path, String text) throws IOException {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).analyzer()).isEqualTo("python");
    assertThat(findings.get(0).path()).isEqualTo(path);
    return findings.get(0);
  }

  private FileFindings analyzeResource(String path, String resource) throws IOException {
    try (InputStream in = PythonAnalyzerTest.class.getResourceAsStream("/lang/python/" + resource)) {
      assertThat(in).as(resource).isNotNull();
      return analyze(path, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
