package embedded

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDot_768 compares the portable float32 and int8 dot products per
// value; BenchmarkDotQ_768 the int8 one the scan uses (AVX2 on amd64).
func BenchmarkDot_768(b *testing.B) {
	const n = 768
	rng := rand.New(rand.NewPCG(1, 1))
	const m = 4096
	a := make([]float32, n*m)
	q8 := make([]int8, n*m)
	for i := range a {
		a[i] = rng.Float32() - 0.5
		q8[i] = int8(rng.IntN(255) - 127)
	}
	q := a[:n]
	qq := q8[:n]
	b.Run("f32", func(b *testing.B) {
		var s float32
		for b.Loop() {
			for j := range m {
				s += dot32(q, a[j*n:(j+1)*n])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*m), "ns/elem")
	})
	b.Run("i8", func(b *testing.B) {
		var s int32
		for b.Loop() {
			for j := range m {
				s += dot8(qq, q8[j*n:(j+1)*n])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*m), "ns/elem")
	})
}

func BenchmarkDotQ_768(b *testing.B) {
	const n = 768
	rng := rand.New(rand.NewPCG(1, 1))
	const m = 4096
	q8 := make([]int8, n*m)
	for i := range q8 {
		q8[i] = int8(rng.IntN(255) - 127)
	}
	qq := make([]int16, n)
	for i := range qq {
		qq[i] = int16(q8[i])
	}
	var s int32
	for b.Loop() {
		for j := range m {
			s += dotQ(qq, q8[j*n:(j+1)*n])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*m), "ns/elem")
	if s != 0 && dotQ(qq, q8[:n]) != dot8(q8[:n], q8[:n]) {
		b.Fatal("mismatch")
	}
}

func TestDotQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{1, 31, 32, 33, 100, 768, 1000} {
		a, b := make([]int8, n), make([]int8, n)
		w := make([]int16, n)
		for i := range a {
			a[i], b[i] = int8(rng.IntN(256)-128), int8(rng.IntN(255)-127)
			w[i] = int16(b[i])
		}
		if got, want := dotQ(w, a), dot8(a, b); got != want {
			t.Errorf("n=%d: dotQ = %d, dot8 = %d", n, got, want)
		}
	}
}

// dot8 is the plain int8 dot product the AVX2 one (dotQ) is checked against.
func dot8(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += int32(x[0])*int32(y[0]) + int32(x[4])*int32(y[4])
		s1 += int32(x[1])*int32(y[1]) + int32(x[5])*int32(y[5])
		s2 += int32(x[2])*int32(y[2]) + int32(x[6])*int32(y[6])
		s3 += int32(x[3])*int32(y[3]) + int32(x[7])*int32(y[7])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func TestHamming4(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, words := range []int{4, 8, 12, 16} {
		const n = 37
		q := make([]uint64, words)
		data := make([]uint64, words*n)
		for i := range q {
			q[i] = rng.Uint64()
		}
		for i := range data {
			data[i] = rng.Uint64()
		}
		dist := make([]uint16, n+1)
		dist[n] = 999 // must stay
		hamming4(&q[0], &data[0], words, n, &dist[0])
		for i := range n {
			if want := hamming(q, data[i*words:(i+1)*words]); int(dist[i]) != want {
				t.Fatalf("words %d, vector %d: %d, want %d", words, i, dist[i], want)
			}
		}
		if dist[n] != 999 {
			t.Fatal("hamming4 wrote past n")
		}
	}
}

func BenchmarkHamming_768(b *testing.B) {
	const words, n = 12, blockSlots
	rng := rand.New(rand.NewPCG(4, 4))
	q := make([]uint64, words)
	data := make([]uint64, words*n)
	for i := range data {
		data[i] = rng.Uint64()
	}
	dist := make([]uint16, n)
	b.Run("asm", func(b *testing.B) {
		for b.Loop() {
			hamming4(&q[0], &data[0], words, n, &dist[0])
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vector")
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			for i := range n {
				dist[i] = uint16(hamming(q, data[i*words:(i+1)*words]))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vector")
	})
}
