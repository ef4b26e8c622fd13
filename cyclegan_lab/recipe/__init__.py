"""The recipe of the shipped Monet generator: its training tricks and its extra layers and discriminators.

`tricks` (DiffAugment, the image pool, learning-rate schedules, the moving
average of weights), `layers` (a blur, a notch, the sub-pixel upsampling),
`projected` and `efficientnet` (discriminators that look through a frozen
ImageNet network). The lab's modules use them only where a `TrainConfig`
asks for them; they import nothing from the lab, only `cyclegan_lab.plumbing`.
"""
