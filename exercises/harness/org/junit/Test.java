// Observer's stand-in for JUnit 4's @Test (no Maven download): marks a test method that
// observer_Unit runs, each in a JVM of its own.
package org.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Test {
}
