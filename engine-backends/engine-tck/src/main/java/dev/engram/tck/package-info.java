/**
 * The conformance kit: JUnit 5 interfaces whose {@code default @Test} methods state, once, what every Engram
 * backend must do. A backend's test class implements {@link dev.engram.tck.EngramConformanceKit} (plus the kits of
 * the capabilities it declares) and supplies fresh storage through {@link dev.engram.tck.EngramKit#backend()}.
 */
@NullMarked
package dev.engram.tck;

import org.jspecify.annotations.NullMarked;
