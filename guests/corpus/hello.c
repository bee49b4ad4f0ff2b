/* The smallest corpus program: one line of output, exit status 0. */
#include "fmt.h"

int main(void)
{
	fmt("Hello from a tsvmi guest!\n");
	return 0;
}
