package laketest

import (
	"context"

	"github.com/releaselake/releaselake/lake"
)

// FaultFS wraps an FS so a test can make some of its calls fail: each non-nil
// function field replaces the method of that name, and may call the wrapped FS
// itself (to fail after the work is done, for example).
type FaultFS struct {
	lake.FS
	PublishFunc func(ctx context.Context, name string, data []byte) error
	CreateFunc  func(ctx context.Context, name string) (lake.Writer, error)
	SealedFunc  func(ctx context.Context, name string) (bool, error)
	RenameFunc  func(ctx context.Context, oldname, newname string) error
	OpenFunc    func(ctx context.Context, name string) (lake.File, error)
}

var _ lake.FS = (*FaultFS)(nil)

// Publish calls PublishFunc if set, the wrapped FS's Publish otherwise.
func (f *FaultFS) Publish(ctx context.Context, name string, data []byte) error {
	if f.PublishFunc != nil {
		return f.PublishFunc(ctx, name, data)
	}
	return f.FS.Publish(ctx, name, data)
}

// Create calls CreateFunc if set, the wrapped FS's Create otherwise.
func (f *FaultFS) Create(ctx context.Context, name string) (lake.Writer, error) {
	if f.CreateFunc != nil {
		return f.CreateFunc(ctx, name)
	}
	return f.FS.Create(ctx, name)
}

// Sealed calls SealedFunc if set, the wrapped FS's Sealed otherwise.
func (f *FaultFS) Sealed(ctx context.Context, name string) (bool, error) {
	if f.SealedFunc != nil {
		return f.SealedFunc(ctx, name)
	}
	return f.FS.Sealed(ctx, name)
}

// Rename calls RenameFunc if set, the wrapped FS's Rename otherwise.
func (f *FaultFS) Rename(ctx context.Context, oldname, newname string) error {
	if f.RenameFunc != nil {
		return f.RenameFunc(ctx, oldname, newname)
	}
	return f.FS.Rename(ctx, oldname, newname)
}

// Open calls OpenFunc if set, the wrapped FS's Open otherwise.
func (f *FaultFS) Open(ctx context.Context, name string) (lake.File, error) {
	if f.OpenFunc != nil {
		return f.OpenFunc(ctx, name)
	}
	return f.FS.Open(ctx, name)
}
