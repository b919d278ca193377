// A Go program that needs guest signals (tests/test_signals.py): goroutines
// under garbage collection while one spins without calls (the runtime
// preempts it with SIGURG), os/signal.Notify, and a nil-pointer panic
// recovered (SIGSEGV turned into a Go panic by the runtime's handler).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

type node struct{ next *node; v [16]int }

func nilDeref() (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint("recovered: ", r)
		}
	}()
	var p *node
	return fmt.Sprint(p.v[3])
}

func main() {
	// A goroutine in a tight loop: the GC must preempt it (SIGURG).
	stop := make(chan bool)
	go func() {
		x := 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			for i := 0; i < 1000000; i++ {
				x += i
			}
		}
	}()
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func(g int) {
			var keep *node
			for i := 0; i < 200000; i++ {
				keep = &node{next: keep}
				if i%1000 == 0 {
					keep = nil
				}
			}
			done <- g
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	runtime.GC()
	fmt.Println("goroutines and GC: ok")
	tight := make(chan bool)
	go func() {
		for i := 0; ; i++ {
			if i < 0 {
				break
			}
		}
		tight <- true
	}()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	fmt.Println("GC with a goroutine in a loop without calls: ok")
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	fmt.Println("notify:", <-c)
	fmt.Println(nilDeref())
	close(stop)
}
