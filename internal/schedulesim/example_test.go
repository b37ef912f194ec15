package schedulesim_test

import (
	"fmt"
	"log"

	"github.com/kycpoller/kycpoller/internal/schedulesim"
)

// The benchmark driver prints the default comparison like this.
func ExampleRun() {
	opts := schedulesim.Options{} // 100,000 draws, the default strategies
	rows, err := schedulesim.Run(opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(opts.Summary())
	fmt.Println()
	fmt.Print(schedulesim.Markdown(rows))
}
