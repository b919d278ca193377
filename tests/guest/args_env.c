/*
 * Prints argc, every argv[i], and the values of the environment variables
 * named in the comma-separated variable ARGS_ENV_VARS (or a default list),
 * then getenv() of a variable that is never set.
 *
 * Only variables chosen by the test are printed, so the output does not
 * depend on the rest of the host environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show(const char *name)
{
    const char *v = getenv(name);
    if (v)
        printf("env %s=[%s]\n", name, v);
    else
        printf("env %s unset\n", name);
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    printf("argv[argc]=%s\n", argv[argc] == NULL ? "NULL" : "non-NULL");

    const char *list = getenv("ARGS_ENV_VARS");
    char buf[1024];
    if (list == NULL)
        list = "LU_TEST_A,LU_TEST_B,LU_TEST_EMPTY";
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
        show(tok);

    show("LU_TEST_NEVER_SET_7f3a9c");
    return 0;
}
