/*
 * A shared library that dynamic.c loads with dlopen() at run time: a
 * constructor and a destructor, thread-local storage (allocated by the dynamic
 * loader for a library loaded late), a call back into the C library and libm.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

static __thread int calls;
const char plugin_name[] = "plugin for the dlopen test";

__attribute__((constructor)) static void loaded(void)
{
    printf("plugin: constructor ran\n");
}

__attribute__((destructor)) static void unloaded(void)
{
    printf("plugin: destructor ran\n");
}

/* Something of `word` a caller can check: its length, its hypotenuse with 3,
 * and how many times this thread has called us. */
int plugin_measure(const char *word, double *hypot_out)
{
    *hypot_out = hypot((double)strlen(word), 3.0);
    return (int)strlen(word) * 100 + ++calls;
}
